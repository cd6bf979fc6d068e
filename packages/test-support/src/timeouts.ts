/**
 * Every wait and grace period of the harnesses, in one place. They are ceilings, not pauses:
 * a wait ends as soon as what it waits for happens, so generous values cost nothing when
 * things go well and only say how long a broken run takes to fail. Sized for a busy 2-core
 * machine that compiles TypeScript through tsx on each start.
 */
export const timeouts = {
  /** From spawn to the app's "<app> listening" line (tsx compiles the app first). */
  listenMs: 90_000,
  /** Default wait for an output line (`waitFor`). */
  outputMs: 60_000,
  /**
   * `stop()`: how long after SIGTERM before SIGKILL. The apps stop within a second once
   * calls in flight end; a process profiled with `--cpu-prof` needs longer (pass it).
   */
  stopGraceMs: 5_000,
  /** Default ceiling of `waitUntil`. */
  pollTimeoutMs: 30_000,
  /** Default pause between two checks of `waitUntil`. */
  pollIntervalMs: 50,
} as const;

/** How many of the last output lines a failure message shows. */
export const failureTailLines = 60;
