/**
 * A counting TCP proxy in front of MariaDB, for the server under test: it forwards bytes both
 * ways untouched and reads only the client's command packets (MySQL protocol: 3-byte length,
 * 1-byte sequence id; a command starts a new sequence at 0, its first payload byte is the
 * command, COM_QUERY's text follows). So the statement counts are exactly the server's own,
 * whatever else runs on the same MariaDB (SHOW GLOBAL STATUS counts everybody).
 */
import { connect, createServer, type Socket } from 'node:net';

export interface SqlCounts {
  /** COM_QUERY + COM_STMT_EXECUTE: statements sent. */
  statements: number;
  select: number;
  insert: number;
  update: number;
  delete: number;
  /** BEGIN / START TRANSACTION. */
  begin: number;
  commit: number;
  rollback: number;
  /** Other text statements (SET, SHOW, DO, ...). */
  otherQueries: number;
  /** Prepared statements: prepared / executed (verb unknown on the wire without the ids). */
  stmtPrepare: number;
  stmtExecute: number;
  /** Pings, quit, reset, ... */
  otherCommands: number;
  /** Connections opened to the proxy since the last reset (the server pools its connections). */
  connections: number;
  /** Bytes the client sent / received. */
  bytesToDatabase: number;
  bytesFromDatabase: number;
}

export interface SqlProxy {
  port: number;
  /** `mysql://...` URL pointing at the proxy, for `url`'s database and credentials. */
  urlFor(url: string): string;
  counts(): SqlCounts;
  reset(): void;
  close(): Promise<void>;
}

const COM_QUIT = 0x01;
const COM_QUERY = 0x03;
const COM_STMT_PREPARE = 0x16;
const COM_STMT_EXECUTE = 0x17;

export function emptyCounts(): SqlCounts {
  return {
    statements: 0,
    select: 0,
    insert: 0,
    update: 0,
    delete: 0,
    begin: 0,
    commit: 0,
    rollback: 0,
    otherQueries: 0,
    stmtPrepare: 0,
    stmtExecute: 0,
    otherCommands: 0,
    connections: 0,
    bytesToDatabase: 0,
    bytesFromDatabase: 0,
  };
}

export function classify(counts: SqlCounts, command: number, text: string): void {
  if (command === COM_QUERY) {
    counts.statements++;
    const verb = /^[\s(]*([a-zA-Z]+)/.exec(text)?.[1]?.toLowerCase() ?? '';
    if (verb === 'select' || verb === 'with') counts.select++;
    else if (verb === 'insert' || verb === 'replace') counts.insert++;
    else if (verb === 'update') counts.update++;
    else if (verb === 'delete') counts.delete++;
    else if (verb === 'begin' || verb === 'start') counts.begin++;
    else if (verb === 'commit') counts.commit++;
    else if (verb === 'rollback') counts.rollback++;
    else counts.otherQueries++;
  } else if (command === COM_STMT_EXECUTE) {
    counts.statements++;
    counts.stmtExecute++;
  } else if (command === COM_STMT_PREPARE) counts.stmtPrepare++;
  else if (command !== COM_QUIT) counts.otherCommands++;
}

/** Feeds client-to-server bytes; calls `onCommand` once per command packet. */
export function commandReader(onCommand: (command: number, text: string) => void) {
  let buffered = Buffer.alloc(0);
  let skip = 0;
  return (input: Buffer) => {
    let chunk = input;
    if (skip >= chunk.length) {
      skip -= chunk.length;
      return;
    }
    chunk = chunk.subarray(skip);
    skip = 0;
    let buf = buffered.length > 0 ? Buffer.concat([buffered, chunk]) : chunk;
    while (buf.length >= 4) {
      const length = buf.readUIntLE(0, 3);
      const sequence = buf[3];
      const peek = Math.min(length, 40);
      if (buf.length < 4 + peek) break;
      if (sequence === 0 && length > 0) {
        onCommand(buf[4] as number, buf.subarray(5, 4 + peek).toString('latin1'));
      }
      const total = 4 + length;
      if (buf.length >= total) {
        buf = buf.subarray(total);
      } else {
        skip = total - buf.length;
        buf = Buffer.alloc(0);
        break;
      }
    }
    // Copy the few leftover bytes so a large chunk is not retained.
    buffered = buf.length > 0 ? Buffer.from(buf) : Buffer.alloc(0);
  };
}

export function startSqlProxy(databaseUrl: string): Promise<SqlProxy> {
  const target = new URL(databaseUrl);
  const host = target.hostname || '127.0.0.1';
  const port = Number(target.port || 3306);
  let counts = emptyCounts();
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    counts.connections++;
    const upstream = connect({ host, port });
    sockets.add(client);
    sockets.add(upstream);
    const read = commandReader((command, text) => classify(counts, command, text));
    client.on('data', (chunk: Buffer) => {
      counts.bytesToDatabase += chunk.length;
      read(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      counts.bytesFromDatabase += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const proxyPort = typeof address === 'object' && address ? address.port : 0;
      resolve({
        port: proxyPort,
        urlFor(url) {
          const proxied = new URL(url);
          proxied.hostname = '127.0.0.1';
          proxied.port = String(proxyPort);
          return proxied.toString();
        },
        counts: () => ({ ...counts }),
        reset() {
          counts = emptyCounts();
        },
        close() {
          for (const socket of sockets) socket.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}
