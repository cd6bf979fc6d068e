import { describe, expect, it } from 'vitest';
import {
  buildMySqlConnectionString,
  InvalidConnectionPartError,
  redactConnectionString,
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
