/**
 * A local three-node MariaDB Galera cluster for the Galera mode of the fault suite, from
 * Debian's packages (`mariadb-server` brings `galera-4`; state transfer by `rsync`). Each node
 * has its own datadir, socket, SQL port and Galera ports under a temp dir; node 0 bootstraps
 * (`--wsrep-new-cluster`), the others join and receive the data by SST. A node can be
 * `kill -9`ed and started again: it rejoins (IST or SST) and is ready once Synced.
 *
 * The group's suspect timeout is shortened (`evs.suspect_timeout=PT2S`) so a lost node stalls
 * the others' commits for about 2 s instead of 5-6 s: faults resolve within a scenario.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type RowDataPacket } from 'mysql2/promise';

export interface GaleraNode {
  readonly index: number;
  readonly port: number;
  /** `mysql://root@127.0.0.1:<port>` (no database). */
  readonly url: string;
  readonly running: boolean;
}

export interface GaleraStatus {
  clusterSize: number;
  /** `wsrep_local_state_comment`: Synced, Joining, Donor/Desynced, … */
  state: string;
  ready: boolean;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function ensureRsync(log: (line: string) => void): void {
  try {
    execFileSync('rsync', ['--version'], { stdio: 'ignore' });
    return;
  } catch {
    log('installing rsync (Galera state transfer)');
  }
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '-qq', 'rsync'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    install();
  }
}

class Node implements GaleraNode {
  child: ChildProcess | null = null;
  exited: Promise<void> = Promise.resolve();

  constructor(
    readonly index: number,
    readonly port: number,
    readonly dir: string,
    readonly config: string,
  ) {}

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  get datadir(): string {
    return join(this.dir, 'data');
  }

  get logFile(): string {
    return join(this.dir, 'mariadbd.log');
  }

  logTail(lines = 40): string {
    if (!existsSync(this.logFile)) return '(no log)';
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }

  start(bootstrap: boolean): void {
    const args = [`--defaults-file=${this.config}`, ...(bootstrap ? ['--wsrep-new-cluster'] : [])];
    appendFileSync(
      this.logFile,
      `\n=== start ${bootstrap ? '(bootstrap) ' : ''}${new Date().toISOString()}\n`,
    );
    const child = spawn('/usr/sbin/mariadbd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const toLog = (data: Buffer) => appendFileSync(this.logFile, data);
    child.stdout?.on('data', toLog);
    child.stderr?.on('data', toLog);
    this.child = child;
    this.exited = new Promise((done) =>
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        done();
      }),
    );
  }
}

export class GaleraCluster {
  readonly #nodes: Node[];
  readonly #dir: string;
  readonly #log: (line: string) => void;
  #stopped = false;

  private constructor(nodes: Node[], dir: string, log: (line: string) => void) {
    this.#nodes = nodes;
    this.#dir = dir;
    this.#log = log;
  }

  get nodes(): readonly GaleraNode[] {
    return this.#nodes;
  }

  /**
   * Three nodes, synced: SQL on `portBase`…+2, Galera replication on `portBase+1260`…,
   * IST on +1270…, SST on +1280…
   */
  static async start(
    options: { portBase?: number; dir?: string; log?: (line: string) => void } = {},
  ): Promise<GaleraCluster> {
    const log = options.log ?? (() => {});
    ensureRsync(log);
    if (!existsSync('/usr/lib/galera/libgalera_smm.so')) {
      throw new Error(
        'Galera is not installed (/usr/lib/galera/libgalera_smm.so): apt-get install galera-4',
      );
    }
    const base = options.portBase ?? 3311;
    const dir =
      options.dir ?? join(tmpdir(), `ocs-galera-${process.pid}-${Date.now().toString(36)}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const gcomm = [0, 1, 2].map((i) => `127.0.0.1:${base + 1260 + i}`).join(',');
    const nodes = [0, 1, 2].map((i) => {
      const nodeDir = join(dir, `node${i}`);
      mkdirSync(join(nodeDir, 'data'), { recursive: true });
      const config = join(nodeDir, 'my.cnf');
      writeFileSync(
        config,
        [
          '[mariadbd]',
          'user=mysql',
          `datadir=${join(nodeDir, 'data')}`,
          `socket=${join(nodeDir, 'mysqld.sock')}`,
          `pid-file=${join(nodeDir, 'mysqld.pid')}`,
          'bind-address=127.0.0.1',
          `port=${base + i}`,
          'skip-name-resolve',
          'performance_schema=OFF',
          'innodb_buffer_pool_size=64M',
          'innodb_log_file_size=48M',
          'innodb_flush_log_at_trx_commit=2',
          'max_connections=300',
          'binlog_format=ROW',
          'default_storage_engine=InnoDB',
          'innodb_autoinc_lock_mode=2',
          'wsrep_on=ON',
          'wsrep_provider=/usr/lib/galera/libgalera_smm.so',
          `wsrep_cluster_address=gcomm://${gcomm}`,
          'wsrep_cluster_name=ocs_faults',
          `wsrep_node_name=node${i}`,
          'wsrep_node_address=127.0.0.1',
          `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${base + 1260 + i};ist.recv_addr=127.0.0.1:${base + 1270 + i};gcache.size=64M;evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.install_timeout=PT4S"`,
          'wsrep_sst_method=rsync',
          `wsrep_sst_receive_address=127.0.0.1:${base + 1280 + i}`,
          'wsrep_slave_threads=2',
          '',
        ].join('\n'),
      );
      return new Node(i, base + i, nodeDir, config);
    });
    execFileSync('chown', ['-R', 'mysql:mysql', dir]);
    const cluster = new GaleraCluster(nodes, dir, log);
    try {
      const node0 = nodes[0] as Node;
      execFileSync(
        'mariadb-install-db',
        [
          `--defaults-file=${node0.config}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
        ],
        { stdio: 'pipe' },
      );
      node0.start(true);
      await cluster.waitSynced(0, 60_000);
      // Root over TCP with an empty password, like the suite's default server.
      const admin = await createConnection({
        socketPath: join(node0.dir, 'mysqld.sock'),
        user: 'root',
      });
      try {
        await admin.query("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''");
        await admin.query("GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
      } finally {
        await admin.end();
      }
      // One joiner at a time: both would pick node 0 as their donor at once.
      for (const node of nodes.slice(1)) {
        node.start(false);
        await cluster.waitSynced(node.index, 90_000);
      }
      const status = await cluster.status(2);
      if (status.clusterSize !== 3) throw new Error(`cluster size ${status.clusterSize}, not 3`);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    process.once('exit', () => {
      for (const node of nodes) node.child?.kill('SIGKILL');
    });
    return cluster;
  }

  #node(index: number): Node {
    const node = this.#nodes[index];
    if (!node) throw new Error(`no Galera node ${index}`);
    return node;
  }

  /** Every node, `first` listed first, as one multi-host URL (with `/database`). */
  urlListing(first: number, database?: string): string {
    const order = [first, ...[0, 1, 2].filter((i) => i !== first)];
    const hosts = order.map((i) => `127.0.0.1:${this.#node(i).port}`).join(',');
    return `mysql://root@${hosts}${database ? `/${database}` : ''}`;
  }

  async status(index: number): Promise<GaleraStatus> {
    const connection = await createConnection({ uri: this.#node(index).url, connectTimeout: 2000 });
    try {
      const [rows] = await connection.query<RowDataPacket[]>(
        "SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready')",
      );
      const value = (name: string) =>
        String(rows.find((row) => row.Variable_name === name)?.Value ?? '');
      return {
        clusterSize: Number(value('wsrep_cluster_size')),
        state: value('wsrep_local_state_comment'),
        ready: value('wsrep_ready') === 'ON',
      };
    } finally {
      connection.destroy();
    }
  }

  /** Until the node answers over TCP as Synced and ready, or fails with its log's tail. */
  async waitSynced(index: number, timeoutMs = 60_000): Promise<void> {
    const node = this.#node(index);
    const started = performance.now();
    let last = 'no answer yet';
    while (performance.now() - started < timeoutMs) {
      if (!node.running) {
        throw new Error(`Galera node ${index} exited while starting:\n${node.logTail()}`);
      }
      try {
        const status = await this.status(index);
        if (status.state === 'Synced' && status.ready) {
          this.#log(
            `node ${index} synced in ${Math.round(performance.now() - started)} ms (cluster size ${status.clusterSize})`,
          );
          return;
        }
        last = `${status.state}, ready ${status.ready}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(250);
    }
    throw new Error(
      `Galera node ${index} not synced within ${timeoutMs} ms (${last}):\n${node.logTail()}`,
    );
  }

  /** `kill -9` of the node's mariadbd; resolves once the process is gone. */
  async kill9(index: number): Promise<void> {
    const node = this.#node(index);
    const child = node.child;
    if (!child) return;
    child.kill('SIGKILL');
    await node.exited;
    this.#log(`node ${index} killed`);
  }

  /** Starts a stopped node again; it rejoins the others and resolves once Synced. */
  async restart(index: number, timeoutMs = 90_000): Promise<void> {
    const node = this.#node(index);
    if (node.running) throw new Error(`Galera node ${index} is running`);
    // It joins the running nodes: never bootstrap again (grastate.dat may say it could).
    node.start(false);
    await this.waitSynced(index, timeoutMs);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(
      this.#nodes.map(async (node) => {
        const child = node.child;
        if (!child) return;
        child.kill('SIGTERM');
        const done = await Promise.race([
          node.exited.then(() => true),
          sleep(15_000).then(() => false),
        ]);
        if (!done) {
          child.kill('SIGKILL');
          await node.exited;
        }
      }),
    );
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
