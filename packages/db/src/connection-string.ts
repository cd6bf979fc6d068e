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
  /**
   * One host, or several separated by commas for a cluster (`db1,db2:3307,[fd00::3]`): the
   * service uses the first that answers, in this order. A host without a port gets `port`.
   */
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

function checkPort(port: number, part: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidConnectionPartError(part, 'must be an integer from 1 to 65535');
  }
  return port;
}

export interface MySqlHost {
  /** A host name, an IPv4 address or a bracketed IPv6 address (`[fd00::1]`). */
  host: string;
  port: number;
}

/**
 * `db1,db2:3307,[fd00::3]:3308` as hosts, each checked; a host without a port gets
 * `defaultPort`. An error names the entry that is wrong.
 */
export function parseMySqlHosts(list: string, defaultPort = 3306): MySqlHost[] {
  const entries = list.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || entries.every((entry) => entry === '')) {
    throw new InvalidConnectionPartError('host', 'is missing');
  }
  return entries.map((entry, index) => {
    const where =
      entries.length > 1 ? ` (entry ${index + 1} of ${entries.length}: "${entry}")` : '';
    try {
      const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
      const hostPort = bracketed ? null : /^([^:]*):([^:]*)$/.exec(entry);
      const host = bracketed ? `[${bracketed[1]}]` : (hostPort?.[1] ?? entry);
      const portText = bracketed ? bracketed[2] : hostPort?.[2];
      const port =
        portText === undefined
          ? defaultPort
          : /^\d+$/.test(portText)
            ? Number(portText)
            : Number.NaN;
      return { host: formatHost(host), port: checkPort(port, 'port') };
    } catch (error) {
      if (!(error instanceof InvalidConnectionPartError) || !where) throw error;
      const message = error.message.replace(/^Invalid MySQL connection setting "[^"]*": /, '');
      throw new InvalidConnectionPartError(error.part, `${message}${where}`);
    }
  });
}

export function buildMySqlConnectionString(parts: MySqlConnectionParts): string {
  const port = checkPort(parts.port ?? 3306, 'port');
  const hosts = parseMySqlHosts(parts.host ?? '', port)
    .map((node) => `${node.host}:${node.port}`)
    .join(',');
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
  return `mysql://${credentials}@${hosts}/${parts.database}${search}`;
}

export interface MySqlNodeUrl {
  /** `host:port`, for logs, metrics and `/readyz` (no user, no password). */
  name: string;
  /** A single-host `mysql://` URL with the credentials, database and options of the list. */
  url: string;
}

/**
 * One single-host URL per node of `mysql://user:pass@h1:3306,h2:3307/db?options`, in the
 * listed order (mysql2 takes one host per connection). A single-host URL gives one node.
 */
export function splitMySqlNodes(url: string): MySqlNodeUrl[] {
  const match = /^mysql:\/\/(?:([^@/]*)@)?([^/?#]*)(.*)$/s.exec(url.trim());
  if (!match) {
    throw new InvalidConnectionPartError('url', 'is not a mysql://user:password@host/db URL');
  }
  const [, credentials, hostList = '', rest = ''] = match;
  const userInfo = credentials === undefined ? '' : `${credentials}@`;
  return parseMySqlHosts(hostList).map(({ host, port }) => ({
    name: `${host}:${port}`,
    url: `mysql://${userInfo}${host}:${port}${rest}`,
  }));
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
