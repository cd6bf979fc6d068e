/** Child processes for tests, benchmarks and the fault suite; see each module. */
export {
  type AppName,
  type AppOptions,
  appCommand,
  listeningLine,
  type RunningApp,
  repoRoot,
  startApp,
  startListening,
  waitForListening,
} from './apps.js';
export {
  killAll,
  type ProcessOptions,
  type RunningProcess,
  startProcess,
} from './child-process.js';
export { freePort } from './free-port.js';
export { defaultOutputLimits, OutputBuffer, type OutputLimits } from './output-buffer.js';
export { failureTailLines, timeouts } from './timeouts.js';
export { type WaitUntilOptions, waitUntil } from './wait-until.js';
