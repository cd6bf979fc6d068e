/**
 * Generates each app's `.env.example` and docs/configuration.md from the apps' config schemas
 * (`pnpm env:generate`); `--check` fails when a generated file is stale.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderEnvExample, renderEnvTable } from '@ocs/config';
import { configSource as notifier } from '../apps/notifier/src/config.js';
import { configSource as scheduler } from '../apps/scheduler/src/config.js';
import { configSource as server } from '../apps/server/src/config.js';

const root = resolve(import.meta.dirname, '..');
const apps = { server, scheduler, notifier };

const intro = `# Configuration

<!-- Generated from apps/*/src/config.ts by pnpm env:generate; edit the schemas, not this file. -->

Every variable each app reads, its config path (the key in the server's \`SETTINGS_FILE\`) and
its default. How the apps read them, and what a bad value does:
[operations.md](operations.md#configuration). To add a variable, give the app's schema one
entry with \`.meta({ env: 'NAME', description: '…' })\` and run \`pnpm env:generate\`.
`;

const sections = Object.entries(apps).map(
  ([app, source]) => `## ${app}\n\n${renderEnvTable(source)}\n`,
);
// Formatted as biome formats Markdown, so `pnpm lint` and --check agree.
const docs = execFileSync(
  join(root, 'node_modules/.bin/biome'),
  ['format', '--stdin-file-path=docs/configuration.md'],
  { input: [intro, ...sections].join('\n'), encoding: 'utf8' },
);

const outputs = new Map<string, string>([[join(root, 'docs', 'configuration.md'), docs]]);
for (const [app, source] of Object.entries(apps)) {
  outputs.set(join(root, 'apps', app, '.env.example'), renderEnvExample(source));
}

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [path, text] of outputs) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {}
  if (current === text) continue;
  if (check) stale.push(path.slice(root.length + 1));
  else writeFileSync(path, text);
}
if (stale.length > 0) {
  console.error(`Out of date (run pnpm env:generate): ${stale.join(', ')}`);
  process.exit(1);
}
