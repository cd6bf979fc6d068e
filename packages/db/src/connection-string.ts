/**
 * Builds and redacts `mysql://` connection URLs. Only strings: nothing here opens a
 * connection, so configuration code can import it without pulling in a driver.
 */

export interface MySqlTlsOptions {
  /** Verify the server certificate against `ca` (or the system CAs). Default true. */
  rejectUnauthorized?: boolean;
  /** PEM-encoded CA certificate(s). */
  ca?: string;
}

export interface MySqlConnectionParts {
  host: string;
  /** Default 3306. */
  port?: number;
  user: string;
  /** May be empty or missing (no password). */
  password?: string;
  database: string;
  /**
   * `true` turns TLS on with certificate verification; an object passes mysql2's `ssl`
   * options. Omitted or `false`: no TLS.
   */
  tls?: boolean | MySqlTlsOptions;
  /** Further mysql2 options, sent as query parameters (e.g. `connectionLimit`, `timezone`). */
  options?: Record<string, string | number | boolean>;
}

export class InvalidConnectionPartError extends Error {
  readonly part: string;

  constructor(part: string, message: string) {
    super(`Invalid MySQL connection setting "${part}": ${message}`);
    this.name = 'InvalidConnectionPartError';
    this.part = part;
  }
}

// Hostnames, IPv4 and IPv6 literals; anything else (spaces, slashes, '@') cannot be a host.
const hostnamePattern =
  /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const ipv6Pattern = /^[0-9A-Fa-f:.]+$/;
const databasePattern = /^[A-Za-z0-9_$-]{1,64}$/;

function formatHost(host: string | undefined): string {
  const value = host?.trim();
  if (!value) throw new InvalidConnectionPartError('host', 'is missing');
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (bare.includes(':')) {
    if (!ipv6Pattern.test(bare))
      throw new InvalidConnectionPartError('host', 'is not a valid IPv6 address');
    return `[${bare}]`;
  }
  if (!hostnamePattern.test(bare))
    throw new InvalidConnectionPartError('host', 'is not a valid host name or address');
  return bare;
}

export function buildMySqlConnectionString(parts: MySqlConnectionParts): string {
  const host = formatHost(parts.host);
  const port = parts.port ?? 3306;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidConnectionPartError('port', 'must be an integer from 1 to 65535');
  }
  if (!parts.user) throw new InvalidConnectionPartError('user', 'is missing');
  if (!parts.database) throw new InvalidConnectionPartError('database', 'is missing');
  if (!databasePattern.test(parts.database)) {
    throw new InvalidConnectionPartError(
      'database',
      'may only contain letters, digits, "_", "$" and "-" (at most 64)',
    );
  }

  const credentials = parts.password
    ? `${encodeURIComponent(parts.user)}:${encodeURIComponent(parts.password)}`
    : encodeURIComponent(parts.user);

  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(parts.options ?? {})) {
    if (key === 'ssl') throw new InvalidConnectionPartError('options.ssl', 'use `tls` instead');
    query.set(key, String(value));
  }
  if (parts.tls) {
    // mysql2 JSON-parses each query parameter, so `ssl` arrives as an options object.
    query.set('ssl', JSON.stringify(parts.tls === true ? { rejectUnauthorized: true } : parts.tls));
  }
  const search = query.size > 0 ? `?${query.toString()}` : '';
  return `mysql://${credentials}@${host}:${port}/${parts.database}${search}`;
}

/** The URL with its password replaced by `***`, for logs and error messages. */
export function redactConnectionString(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL we can parse: hide whatever sits between "user:" and "@".
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}
