/**
 * A replica with its clock off (NTP off, a VM resumed): libfaketime (Debian's `faketime`
 * package) preloaded into the replica's `node` process with a relative offset. `Date.now()` and
 * `new Date()` move by the offset; the monotonic clock (`performance.now()`, libuv's timers) is
 * left alone (`FAKETIME_DONT_FAKE_MONOTONIC=1`; a negative offset larger than the machine's
 * uptime would otherwise make it negative). The environment is used rather than the `faketime`
 * wrapper, so the apps keep being spawned the one way `processes.ts` does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const candidates = [
  process.env.FAULTS_LIBFAKETIME,
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
].filter((path): path is string => Boolean(path));

export function libfaketimePath(): string | undefined {
  return candidates.find((path) => existsSync(path));
}

/** `FAKETIME` of an offset in ms: `+15m`-style, in seconds (libfaketime takes `+900s`). */
export function faketimeOffset(offsetMs: number): string {
  const seconds = Math.round(offsetMs / 1000);
  return `${seconds >= 0 ? '+' : '-'}${Math.abs(seconds)}s`;
}

/** Environment that starts a process with its wall clock `offsetMs` off (0: unchanged). */
export function clockOffsetEnv(offsetMs: number): Record<string, string> {
  if (offsetMs === 0) return {};
  const lib = libfaketimePath();
  if (!lib) throw new Error(missingMessage());
  return {
    LD_PRELOAD: lib,
    FAKETIME: faketimeOffset(offsetMs),
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

function missingMessage(): string {
  return (
    'The fault suite needs libfaketime (apt-get install -y faketime; .ci/run installs it) for ' +
    `its clock-offset faults; looked in ${candidates.join(', ')} (or set FAULTS_LIBFAKETIME)`
  );
}

/**
 * Fails loudly (like the MariaDB check) unless a `node` started with the offset really sees
 * its `Date` moved and its monotonic clock not: resolves with the measured shift in ms.
 */
export function requireFaketime(offsetMs = 15 * 60_000): number {
  const env = { ...process.env, ...clockOffsetEnv(offsetMs) };
  const probe = spawnSync(
    process.execPath,
    ['-e', 'console.log(JSON.stringify({ now: Date.now(), mono: performance.now() }))'],
    { env, encoding: 'utf8', timeout: 10_000 },
  );
  const after = Date.now();
  const { now, mono } = JSON.parse(probe.stdout || '{}') as { now?: number; mono?: number };
  if (now === undefined || mono === undefined) {
    throw new Error(`${missingMessage()}: the probe printed nothing (${probe.stderr})`);
  }
  const shift = now - after;
  if (Math.abs(shift - offsetMs) > 5000) {
    throw new Error(`libfaketime did not shift Date.now() by ${offsetMs} ms (saw ${shift} ms)`);
  }
  if (mono < 0 || mono > 10_000) {
    throw new Error(`libfaketime moved the monotonic clock (performance.now() = ${mono})`);
  }
  return shift;
}

export function formatOffset(offsetMs: number): string {
  const sign = offsetMs >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMs);
  if (abs % 3_600_000 === 0) return `${sign}${abs / 3_600_000}h`;
  if (abs % 60_000 === 0) return `${sign}${abs / 60_000}m`;
  return `${sign}${Math.round(abs / 1000)}s`;
}
