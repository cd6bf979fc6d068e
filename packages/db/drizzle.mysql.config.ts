import { defineConfig } from 'drizzle-kit';

// biome-ignore lint/style/noDefaultExport: drizzle-kit reads the default export
export default defineConfig({
  dialect: 'mysql',
  schema: './src/schema/mysql-schema.ts',
  out: './drizzle/mysql',
});
