/** The admin app's static files: under /admin/ only, index.html for client routes, no escape. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './http-server.js';

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ocs-static-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>admin</title>');
  await writeFile(join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
  await writeFile(join(tmpdir(), 'ocs-static-secret.txt'), 'secret');
  server = createServer((req, res) => {
    if (!serveStatic(dir, req, res)) {
      res.writeHead(404);
      res.end('api');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  await rm(dir, { recursive: true, force: true });
  await rm(join(tmpdir(), 'ocs-static-secret.txt'), { force: true });
});

describe('serveStatic', () => {
  it('serves files and hashed assets with their type and caching', async () => {
    const asset = await fetch(`${base}/admin/assets/app-1234.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const index = await fetch(`${base}/admin/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('<title>admin</title>');
  });

  it('answers client routes with index.html, but a missing file with 404', async () => {
    expect(await (await fetch(`${base}/admin/runs/0190-abc`)).text()).toContain('admin');
    expect((await fetch(`${base}/admin/assets/missing.js`)).status).toBe(404);
  });

  it('redirects / to /admin/ and leaves every other path (the API) alone', async () => {
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/admin/');
    expect(await (await fetch(`${base}/orders`)).text()).toBe('api');
    expect((await fetch(`${base}/admin/`, { method: 'POST' })).status).toBe(404);
  });

  it('never serves a file outside its directory', async () => {
    for (const path of [
      '/admin/../ocs-static-secret.txt',
      '/admin/%2e%2e/ocs-static-secret.txt',
      '/admin/..%2focs-static-secret.txt',
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(await response.text()).not.toBe('secret');
    }
  });
});
