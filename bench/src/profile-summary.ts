/**
 * Summarises a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time per function and
 * per "where" (a package in node_modules, a workspace package or app, node's internals, GC).
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  percent: number;
  /** The nearest caller outside node's internals and native code that spends most of it. */
  caller?: string | undefined;
}

/** Walks up from a node to the first frame that is our code or a package's (not node's). */
function callerOf(
  id: number,
  byId: Map<number, ProfileNode>,
  parentOf: Map<number, number>,
): string {
  let current = parentOf.get(id);
  for (let depth = 0; current !== undefined && depth < 60; depth++) {
    const frame = byId.get(current)?.callFrame;
    if (frame?.url && !frame.url.startsWith('node:')) {
      const file = frame.url.replace(/^.*\/(node_modules|packages|apps)\//, '');
      return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    }
    current = parentOf.get(current);
  }
  return '-';
}

export interface ProfileSummary {
  totalMs: number;
  /** Excluding `(idle)`: the time the process was on a CPU. */
  busyMs: number;
  functions: SelfTime[];
  byWhere: SelfTime[];
}

/** Where a frame's code lives: `drizzle-orm`, `@ocs/db`, `node:internal`, `(garbage collector)`. */
export function whereOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return nodeArea(url);
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const workspace = /\/(packages|apps|bench)\/([^/]+)\//.exec(url);
  if (workspace) return workspace[1] === 'bench' ? 'bench' : `${workspace[1]}/${workspace[2]}`;
  return url;
}

/** node's own code, by area: fetch (undici), the HTTP server, streams, module loading... */
function nodeArea(url: string): string {
  if (url.includes('/undici/')) return 'node: fetch (undici)';
  if (/node:(_http_|http$|internal\/http)/.test(url)) return 'node: http';
  // js_transferable serves web streams (fetch bodies); worker/io is the ESM hooks thread.
  if (/js_transferable|node:internal\/webstreams/.test(url)) return 'node: webstreams';
  if (/node:internal\/(modules|bootstrap|vm|source_map|worker)/.test(url))
    return 'node: module loading, source maps';
  if (/node:(internal\/)?(streams?|stream_base_commons|net|_stream)/.test(url))
    return 'node: streams, net';
  if (/node:internal\/(async_hooks|process\/task_queues|timers)|node:timers/.test(url))
    return 'node: async hooks, timers';
  if (/abort_controller|domexception|event_target/.test(url)) return 'node: AbortSignal, events';
  return `node: ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
}

export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    // Each delta is the time since the previous sample; attribute it to the sample's node.
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i] as number;
      const delta = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
    }
  } else {
    const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const perHit = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * perHit);
  }

  const functions = new Map<
    string,
    { name: string; where: string; us: number; callers: Map<string, number> }
  >();
  const places = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const frame = node.callFrame;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = whereOf(frame);
    const file = frame.url ? frame.url.replace(/^.*\/(node_modules|packages|apps)\//, '') : '';
    const name = `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
    const key = `${name}|${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0, callers: new Map() };
    entry.us += us;
    const caller = callerOf(id, byId, parentOf);
    entry.callers.set(caller, (entry.callers.get(caller) ?? 0) + us);
    functions.set(key, entry);
    places.set(where, (places.get(where) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const percent = (us: number) => (busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0);
  return {
    totalMs: Math.round(totalUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({
        name: f.name,
        where: f.where,
        ms: Math.round(f.us / 1000),
        percent: percent(f.us),
        caller: [...f.callers.entries()].sort((a, b) => b[1] - a[1])[0]?.[0],
      })),
    byWhere: [...places.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, us]) => ({
        name: where,
        where,
        ms: Math.round(us / 1000),
        percent: percent(us),
      })),
  };
}

export function formatSummary(summary: ProfileSummary, file: string): string {
  const row = (s: SelfTime) =>
    `${String(s.ms).padStart(7)} ms ${s.percent.toFixed(1).padStart(5)}%  ${s.name}`;
  return [
    `${file}: ${summary.totalMs} ms sampled, ${summary.busyMs} ms busy (idle excluded; % of busy)`,
    '',
    'self time by where the code lives:',
    ...summary.byWhere.map(row),
    '',
    'top functions by self time:',
    ...summary.functions.map(
      (f) =>
        `${row(f)}  [${f.where}]${f.caller && f.caller !== '-' ? `\n${' '.repeat(18)}<- ${f.caller}` : ''}`,
    ),
  ].join('\n');
}
