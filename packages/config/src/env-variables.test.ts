import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envVariables } from './env-variables.js';

describe('envVariables', () => {
  it('given nested objects, yields every leaf by its dotted path in the schema order', () => {
    const schema = z.object({
      host: z.string().meta({ env: 'HOST', description: 'Interface' }),
      database: z
        .object({
          pool: z.object({
            size: z.number().meta({ env: 'DB_POOL_SIZE', description: 'Connections' }),
          }),
          name: z.string().meta({ env: 'DB_NAME', description: 'Database' }),
        })
        .transform((db) => db),
    });
    expect(envVariables(schema).map(({ path, env }) => [path, env])).toEqual([
      ['host', 'HOST'],
      ['database.pool.size', 'DB_POOL_SIZE'],
      ['database.name', 'DB_NAME'],
    ]);
  });

  it('reads the default and the meta through optional, default, transforms and refinements', () => {
    const schema = z
      .object({
        port: z.coerce.number().default(5000).meta({ env: 'PORT', description: 'Port' }),
        // .meta() before the wrapper counts as much as after it.
        origins: z
          .string()
          .transform((v) => v.split(','))
          .meta({ env: 'ORIGINS', description: 'Origins' })
          .default([]),
        secret: z.string().meta({ env: 'SECRET', description: 'Secret' }).optional(),
      })
      .superRefine(() => {});
    expect(envVariables(schema)).toEqual([
      { path: 'port', env: 'PORT', description: 'Port', default: 5000 },
      { path: 'origins', env: 'ORIGINS', description: 'Origins', default: [] },
      { path: 'secret', env: 'SECRET', description: 'Secret', default: undefined },
    ]);
  });

  it('given an object that names its own variable, treats it as one value', () => {
    const schema = z.object({
      limits: z.object({ max: z.number() }).meta({ env: 'LIMITS', description: 'As JSON' }),
    });
    expect(envVariables(schema).map(({ path }) => path)).toEqual(['limits']);
  });

  it('given a leaf without an env name, names its path', () => {
    const schema = z.object({
      database: z.object({ port: z.number().meta({ description: 'Port' }) }),
    });
    expect(() => envVariables(schema)).toThrow(
      /^Config path "database\.port" has no environment variable: add \.meta\(\{ env/,
    );
  });

  it('given a leaf without a description, names its path and variable', () => {
    const schema = z.object({ port: z.number().meta({ env: 'PORT' }) });
    expect(() => envVariables(schema)).toThrow(/^Config path "port" \(PORT\) has no description/);
  });

  it('given two paths with one env name, names both', () => {
    const schema = z.object({
      host: z.string().meta({ env: 'HOST', description: 'Interface' }),
      db: z.object({ host: z.string().meta({ env: 'HOST', description: 'Database host' }) }),
    });
    expect(() => envVariables(schema)).toThrow(
      'HOST is the environment variable of both "host" and "db.host"',
    );
  });

  it('given a schema that is not an object, says so', () => {
    expect(() => envVariables(z.string())).toThrow('Config schema is not an object');
  });
});
