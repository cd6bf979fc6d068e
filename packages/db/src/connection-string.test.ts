import { describe, expect, it } from 'vitest';
import {
  buildMySqlConnectionString,
  InvalidConnectionPartError,
  parseMySqlHosts,
  redactConnectionString,
  splitMySqlNodes,
} from './connection-string.js';

const parts = { host: 'db.example.com', port: 3306, user: 'app', database: 'orders' };

describe('buildMySqlConnectionString', () => {
  it('builds a mysql:// URL from the parts', () => {
    expect(buildMySqlConnectionString({ ...parts, password: 'secret' })).toBe(
      'mysql://app:secret@db.example.com:3306/orders',
    );
  });

  it('defaults the port to 3306 and leaves out an empty password', () => {
    expect(buildMySqlConnectionString({ ...parts, port: undefined, password: '' })).toBe(
      'mysql://app@db.example.com:3306/orders',
    );
  });

  it('URL-encodes user and password so URL parsing gives them back unchanged', () => {
    const url = buildMySqlConnectionString({ ...parts, user: 'ops@team', password: 'p@ss:w/rd#1' });
    const parsed = new URL(url);
    expect(parsed.hostname).toBe('db.example.com');
    expect(decodeURIComponent(parsed.username)).toBe('ops@team');
    expect(decodeURIComponent(parsed.password)).toBe('p@ss:w/rd#1');
    expect(parsed.pathname).toBe('/orders');
  });

  it('puts IPv6 hosts in brackets', () => {
    for (const host of ['::1', '[::1]']) {
      const url = buildMySqlConnectionString({ ...parts, host, port: 3307 });
      expect(url).toBe('mysql://app@[::1]:3307/orders');
      expect(new URL(url).hostname).toBe('[::1]');
    }
    expect(new URL(buildMySqlConnectionString({ ...parts, host: 'fe80::1:2' })).hostname).toBe(
      '[fe80::1:2]',
    );
  });

  it('passes TLS settings as the ssl option mysql2 JSON-parses from the query', () => {
    const verified = new URL(buildMySqlConnectionString({ ...parts, tls: true }));
    expect(JSON.parse(verified.searchParams.get('ssl') ?? 'null')).toEqual({
      rejectUnauthorized: true,
    });
    const custom = new URL(
      buildMySqlConnectionString({ ...parts, tls: { rejectUnauthorized: false, ca: 'PEM' } }),
    );
    expect(JSON.parse(custom.searchParams.get('ssl') ?? 'null')).toEqual({
      rejectUnauthorized: false,
      ca: 'PEM',
    });
    expect(buildMySqlConnectionString({ ...parts, tls: false })).not.toContain('ssl');
  });

  it('adds further options as query parameters', () => {
    const url = new URL(
      buildMySqlConnectionString({ ...parts, options: { connectionLimit: 5, timezone: 'Z' } }),
    );
    expect(url.searchParams.get('connectionLimit')).toBe('5');
    expect(url.searchParams.get('timezone')).toBe('Z');
  });

  it.each([
    ['host', { host: '' }],
    ['host', { host: 'bad host/x' }],
    ['host', { host: '::zz' }],
    ['port', { port: 0 }],
    ['port', { port: 70000 }],
    ['port', { port: 3306.5 }],
    ['user', { user: '' }],
    ['database', { database: '' }],
    ['database', { database: 'orders; DROP' }],
  ])('rejects an invalid %s, naming it', (part, override) => {
    const build = () => buildMySqlConnectionString({ ...parts, ...override });
    expect(build).toThrow(InvalidConnectionPartError);
    expect(build).toThrow(`"${part}"`);
  });
});

describe('several hosts (a cluster)', () => {
  it('builds one URL listing every host in order, each with its port or the default', () => {
    expect(
      buildMySqlConnectionString({ ...parts, host: 'db1, db2:3307 ,[fd00::3]', port: 3310 }),
    ).toBe('mysql://app@db1:3310,db2:3307,[fd00::3]:3310/orders');
  });

  it('parses hosts: names, IPv4, bracketed IPv6 with and without port', () => {
    expect(parseMySqlHosts('a.example:1,10.0.0.2,[::1]:3308,[fe80::2]')).toEqual([
      { host: 'a.example', port: 1 },
      { host: '10.0.0.2', port: 3306 },
      { host: '[::1]', port: 3308 },
      { host: '[fe80::2]', port: 3306 },
    ]);
  });

  it.each([
    ['db1,,db2', /entry 2 of 3: ""/],
    ['db1,db 2', /not a valid host name.*entry 2 of 2: "db 2"/],
    ['db1:99999,db2', /"port".*entry 1 of 2: "db1:99999"/],
    ['db1:x', /"port": must be an integer/],
  ])('rejects %j, naming the entry', (host, message) => {
    const build = () => buildMySqlConnectionString({ ...parts, host });
    expect(build).toThrow(InvalidConnectionPartError);
    expect(build).toThrow(message);
  });

  it('splits a multi-host URL into one single-host URL per node, credentials and options kept', () => {
    const url = 'mysql://app:p%40ss@db1:3306,db2:3307/orders?connectionLimit=5';
    expect(splitMySqlNodes(url)).toEqual([
      { name: 'db1:3306', url: 'mysql://app:p%40ss@db1:3306/orders?connectionLimit=5' },
      { name: 'db2:3307', url: 'mysql://app:p%40ss@db2:3307/orders?connectionLimit=5' },
    ]);
    expect(splitMySqlNodes('mysql://root@127.0.0.1/x')).toEqual([
      { name: '127.0.0.1:3306', url: 'mysql://root@127.0.0.1:3306/x' },
    ]);
  });

  it('hides the password of a multi-host URL', () => {
    expect(redactConnectionString('mysql://app:secret@db1:3306,db2:3307/orders')).toBe(
      'mysql://app:***@db1:3306,db2:3307/orders',
    );
  });
});

describe('redactConnectionString', () => {
  it('hides the password and keeps the rest', () => {
    const url = buildMySqlConnectionString({ ...parts, password: 'p@ss:w/rd#1' });
    const redacted = redactConnectionString(url);
    expect(redacted).toBe('mysql://app:***@db.example.com:3306/orders');
    expect(redacted).not.toContain('p%40ss');
  });

  it('leaves a URL without password as it is', () => {
    expect(redactConnectionString('mysql://root@127.0.0.1:3306/x')).toBe(
      'mysql://root@127.0.0.1:3306/x',
    );
  });

  it('hides the password even in a string that is not a valid URL', () => {
    expect(redactConnectionString('mysql://u:se cret@ho st/x')).toBe('mysql://u:***@ho st/x');
  });
});
