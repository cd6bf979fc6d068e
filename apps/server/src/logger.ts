import { pino } from 'pino';

/** JSON lines on stdout; secrets are redacted wherever they might appear. */
export function createLogger(level: string) {
  return pino({
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
  });
}
