import { pino } from 'pino';
import pretty from 'pino-pretty';

/**
 * JSON lines on stdout, or pretty lines when stdout is a terminal; secrets are redacted
 * wherever they might appear, in both.
 */
export function createLogger(level: string) {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'order-completion-server' },
    redact: {
      paths: [
        '*.authorization',
        '*.password',
        '*.token',
        '*.authHeader',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  return process.stdout.isTTY ? pino(options, pretty({ colorize: true })) : pino(options);
}
