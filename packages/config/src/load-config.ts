/**
 * Every app reads its configuration the same way: a zod schema of the config object whose
 * leaves name their environment variable (`.meta({ env, description })`, see
 * env-variables.ts), optionally a JSON settings file (`SETTINGS_FILE`, the original's
 * appsettings.json) under the environment. Parsed once at start-up; a bad value stops it with
 * one message naming every bad key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { envVariables } from './env-variables.js';

export interface AppConfigSource<S extends z.ZodType> {
  /** Names the app in error messages and generated docs. */
  app: string;
  schema: S;
  /** Whether `SETTINGS_FILE` may name a JSON file under the environment. */
  settingsFile?: boolean;
}

type Env = Record<string, string | undefined>;
type JsonSchema = {
  type?: unknown;
  properties?: Record<string, JsonSchema>;
  [key: string]: unknown;
};

/** The input JSON schema of a config path, e.g. to know that it takes a number. */
export function jsonSchemaAt(
  schema: z.ZodType,
  path: string,
  io: 'input' | 'output' = 'input',
): JsonSchema | undefined {
  let node = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  for (const key of path.split('.')) {
    const next = node.properties?.[key];
    if (!next) return undefined;
    node = next;
  }
  return node;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
}

function readSettingsFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read SETTINGS_FILE ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('the top level must be an object');
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`SETTINGS_FILE ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

const numeric = /^-?\d+(\.\d+)?$/;
const takesNumber = (node: JsonSchema | undefined) =>
  node?.type === 'number' || node?.type === 'integer';
const takesBoolean = (node: JsonSchema | undefined) => node?.type === 'boolean';
const booleanText = /^(true|false|1|0)$/;

export function loadConfig<S extends z.ZodType>(source: AppConfigSource<S>, env: Env): z.output<S> {
  const { schema } = source;
  const variables = envVariables(schema);
  const raw: Record<string, unknown> =
    source.settingsFile && env.SETTINGS_FILE ? readSettingsFile(env.SETTINGS_FILE) : {};
  // Nested objects exist even when nothing sets them, so their defaults apply.
  for (const { path } of variables) {
    const keys = path.split('.');
    let node = raw;
    for (const key of keys.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
  }
  for (const { env: name, path } of variables) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    // Schemas that take numbers (not strings to coerce) get numbers; anything else stays a
    // string, so zod names the key of a value like "many".
    const node = jsonSchemaAt(schema, path);
    if (numeric.test(value) && takesNumber(node)) setPath(raw, path, Number(value));
    else if (booleanText.test(value) && takesBoolean(node)) {
      setPath(raw, path, value === 'true' || value === '1');
    } else setPath(raw, path, value);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      // Array positions (`auth.tokens.0.token`) are reported on the key that holds them.
      const path = issue.path.join('.').replace(/\.\d+(\..*)?$/, '');
      const name = variables.find((variable) => variable.path === path)?.env;
      // Never echo a value back: it may be a password or a token.
      return `${name ? `${name} (${path})` : path}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid ${source.app} configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
