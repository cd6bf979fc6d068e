import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, describeEnv, loadConfig, renderEnvExample, renderEnvTable } from './index.js';

const source = {
  app: 'demo',
  settingsFile: true,
  schema: z.object({
    port: z.coerce
      .number()
      .int()
      .max(65535)
      .default(5000)
      .meta({ env: 'PORT', description: 'Port' }),
    retry: z.object({
      attempts: z
        .number()
        .int()
        .min(1)
        .default(3)
        .meta({ env: 'RETRY_ATTEMPTS', description: 'Attempts' }),
    }),
    secret: z.string().min(8).meta({ env: 'SECRET', description: 'A secret' }),
  }),
};

describe('loadConfig', () => {
  it('given env vars, sets the paths they name, numbers where the schema takes numbers', () => {
    const config = loadConfig(source, { PORT: '7000', RETRY_ATTEMPTS: '5', SECRET: 'long-secret' });
    expect(config).toEqual({ port: 7000, retry: { attempts: 5 }, secret: 'long-secret' });
  });

  it('applies nested defaults when nothing sets them', () => {
    expect(loadConfig(source, { SECRET: 'long-secret' }).retry.attempts).toBe(3);
  });

  it('names every bad key by variable and path, and never echoes a value', () => {
    let error: unknown;
    try {
      loadConfig(source, { PORT: '99999', RETRY_ATTEMPTS: 'many', SECRET: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Invalid demo configuration: PORT \(port\): .*RETRY_ATTEMPTS/);
    expect(message).toMatch(/SECRET \(secret\)/);
    expect(message).not.toMatch(/short|99999|many/);
  });

  it('reads the settings file under the environment', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ocs-config-')), 'appsettings.json');
    writeFileSync(
      file,
      JSON.stringify({ port: 6000, retry: { attempts: 9 }, secret: 'from-file' }),
    );
    const config = loadConfig(source, { SETTINGS_FILE: file, PORT: '7000' });
    expect(config).toEqual({ port: 7000, retry: { attempts: 9 }, secret: 'from-file' });
  });
});

describe('env docs', () => {
  it('lists every variable with its default and description', () => {
    expect(describeEnv(source)).toEqual([
      { name: 'PORT', path: 'port', default: '5000', description: 'Port' },
      { name: 'RETRY_ATTEMPTS', path: 'retry.attempts', default: '3', description: 'Attempts' },
      { name: 'SECRET', path: 'secret', default: '', description: 'A secret' },
    ]);
    expect(renderEnvExample(source)).toContain('# Port\n# PORT=5000\n');
    expect(renderEnvTable(source)).toContain('| `SECRET` | `secret` | — | A secret |');
  });
});
