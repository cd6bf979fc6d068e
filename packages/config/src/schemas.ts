/**
 * The value schemas every app's configuration is made of, so a boolean or a log level reads
 * the same from the environment, a settings file and every app.
 */
import { z } from 'zod';

/** `true`/`false` from a settings file, or `true`, `false`, `1`, `0` from the environment. */
export const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);

/** A whole number of at least `min`; text from the environment is coerced. */
export const int = (min: number) => z.coerce.number().int().min(min);

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** pino's levels; `silent` logs nothing. */
export const logLevel = z.enum(logLevels);
