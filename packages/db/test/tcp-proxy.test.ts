/** The partition proxy on a local echo server: what each mode lets through, and the tap. */
import { createServer, type Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionProxy } from '../src/testing/tcp-proxy.js';

let echo: Server;
let echoPort = 0;
const received: string[] = [];

beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('data', (chunk) => {
      received.push(chunk.toString());
      socket.write(chunk);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((done) => echo.listen(0, '127.0.0.1', done));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((done) => echo.close(() => done())));

function connect(port: number) {
  const socket = new Socket();
  const events: string[] = [];
  let data = '';
  socket.on('data', (chunk) => {
    data += chunk.toString();
  });
  socket.on('end', () => events.push('end'));
  socket.on('error', (error: NodeJS.ErrnoException) => events.push(error.code ?? 'error'));
  socket.on('close', () => events.push('close'));
  const connected = new Promise<boolean>((done) => {
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
  socket.connect(port, '127.0.0.1');
  return { socket, events, connected, data: () => data };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function until(check: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(10);
  return check();
}

describe('PartitionProxy', () => {
  it('forwards, holds everything while black-holed (no FIN, no RST), delivers it on heal', async () => {
    const proxy = await PartitionProxy.start('echo', `tcp://127.0.0.1:${echoPort}`);
    try {
      const a = connect(proxy.port);
      expect(await a.connected).toBe(true);
      a.socket.write('one');
      expect(await until(() => a.data() === 'one')).toBe(true);

      await proxy.setMode('blackhole');
      a.socket.write('two');
      const b = connect(proxy.port); // accepted, then silence
      expect(await b.connected).toBe(true);
      b.socket.write('three');
      await sleep(300);
      expect(a.data()).toBe('one');
      expect(b.data()).toBe('');
      expect(received).not.toContain('two');
      expect([...a.events, ...b.events]).toEqual([]);

      await proxy.setMode('forward');
      expect(await until(() => a.data() === 'onetwo' && b.data() === 'three')).toBe(true);
      a.socket.destroy();
      b.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('refuse: open connections are reset, new ones refused; healing listens on the same port', async () => {
    const proxy = await PartitionProxy.start('echo', `tcp://127.0.0.1:${echoPort}`);
    try {
      const a = connect(proxy.port);
      expect(await a.connected).toBe(true);
      await proxy.setMode('refuse');
      expect(await until(() => a.events.includes('close'))).toBe(true);
      expect(a.events).toContain('ECONNRESET');
      const b = connect(proxy.port);
      expect(await b.connected).toBe(false);
      expect(b.events).toContain('ECONNREFUSED');

      await proxy.setMode('forward');
      const c = connect(proxy.port);
      expect(await c.connected).toBe(true);
      c.socket.write('again');
      expect(await until(() => c.data() === 'again')).toBe(true);
      c.socket.destroy();
    } finally {
      await proxy.close();
    }
  });

  it('taps the order ids of legacy and v1 notification requests, also split across chunks', async () => {
    const proxy = await PartitionProxy.start('echo', `tcp://127.0.0.1:${echoPort}`);
    proxy.tap([/GET \/notify\/(\d+)[ ?]/g, /"orderId":(\d+)[,}]/g]);
    try {
      const a = connect(proxy.port);
      expect(await a.connected).toBe(true);
      a.socket.write('GET /notify/17 HTTP/1.1\r\n\r\n');
      await sleep(50);
      a.socket.write('POST /v1/notifications/batch HTTP/1.1\r\n\r\n[{"orderId":4');
      await sleep(50);
      a.socket.write('2,"event":"x"},{"orderId":43}]');
      expect(await until(() => proxy.tapped.length === 3)).toBe(true);
      expect(proxy.tapped.map((t) => t.id)).toEqual([17, 42, 43]);
      a.socket.destroy();
    } finally {
      await proxy.close();
    }
  });
});
