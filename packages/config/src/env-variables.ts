/**
 * The environment variables of a config schema, read from the schema itself: every leaf
 * carries `.meta({ env: 'NAME', description: '…' })`, so a variable is declared in one place
 * and the loader, `.env.example` and the docs cannot drift apart.
 */
import type { z } from 'zod';

declare module 'zod/v4/core' {
  interface GlobalMeta {
    /** The environment variable that sets this config path. */
    env?: string;
  }
}

export interface EnvVariable {
  /** Dotted path in the config object (also the settings file's key). */
  path: string;
  env: string;
  description: string;
  /** The schema's `.default(...)`, or undefined when there is none. */
  default: unknown;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  defaultValue?: unknown;
}

const defOf = (schema: z.ZodType) => schema._zod.def as unknown as Def;

/**
 * The schema under the wrappers that keep its meaning: optional, default, a transform's input.
 * A union or an array is a value in its own right and is not looked into.
 */
function inner(schema: z.ZodType): z.ZodType | undefined {
  const def = defOf(schema);
  return def.innerType ?? def.in;
}

/** Each layer from the outside in, so `.meta()` may sit before or after `.optional()`. */
function layers(schema: z.ZodType): z.ZodType[] {
  const all = [schema];
  for (let next = inner(schema); next; next = inner(next)) all.push(next);
  return all;
}

function entryOf(path: string, schema: z.ZodType): EnvVariable {
  const all = layers(schema);
  let env: string | undefined;
  let description: string | undefined;
  for (const layer of all) {
    const meta = layer.meta();
    env ??= meta?.env;
    description ??= meta?.description;
  }
  const hint = `add .meta({ env: 'NAME', description: '…' }) to its schema`;
  if (!env) throw new Error(`Config path "${path}" has no environment variable: ${hint}`);
  if (!description) throw new Error(`Config path "${path}" (${env}) has no description: ${hint}`);
  const withDefault = all.find((layer) => defOf(layer).type === 'default');
  return {
    path,
    env,
    description,
    default: withDefault ? defOf(withDefault).defaultValue : undefined,
  };
}

function* walk(schema: z.ZodType, prefix: string): Generator<EnvVariable> {
  const object = layers(schema).find((layer) => defOf(layer).shape);
  const shape = object ? defOf(object).shape : undefined;
  if (!shape) throw new Error(`Config schema${prefix ? ` at "${prefix}"` : ''} is not an object`);
  for (const [key, entry] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const named = layers(entry).some((layer) => layer.meta()?.env);
    const nested = layers(entry).some((layer) => defOf(layer).shape);
    if (nested && !named) yield* walk(entry, path);
    else yield entryOf(path, entry);
  }
}

/**
 * Every variable of a config schema in the schema's order; throws when a leaf has no env name
 * or description, or when two paths share an env name.
 */
export function envVariables(schema: z.ZodType): EnvVariable[] {
  const variables = [...walk(schema, '')];
  const seen = new Map<string, string>();
  for (const { env, path } of variables) {
    const other = seen.get(env);
    if (other)
      throw new Error(`${env} is the environment variable of both "${other}" and "${path}"`);
    seen.set(env, path);
  }
  return variables;
}
