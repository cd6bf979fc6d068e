#!/usr/bin/env node
/**
 * `pnpm test:faults [--seed N] [--schedules N] [--long] [--nemesis] [vitest args…]`
 * - `--seed N`: the nemesis only, schedule N (and N+1… with --schedules): replays it exactly.
 * - `--schedules N`: how many nemesis schedules (FAULTS_SCHEDULES; default 20).
 * - `--long`: the long local run: 200 schedules of up to 2,000 orders (FAULTS_LONG=true).
 * - `--nemesis`: the nemesis only (no fixed scenarios).
 * Everything else goes to vitest (e.g. `-t 'kill -9 of the scheduler'`).
 */
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const rest = [];
const env = { ...process.env };
let nemesisOnly = false;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const value = () => {
    const v = arg.includes('=') ? arg.split('=')[1] : args[++i];
    if (v === undefined || !/^\d+$/.test(v)) {
      console.error(`${arg.split('=')[0]} needs a non-negative integer`);
      process.exit(2);
    }
    return v;
  };
  if (arg === '--') continue;
  if (arg === '--seed' || arg.startsWith('--seed=')) {
    env.FAULTS_SEED = value();
    env.FAULTS_SCHEDULES ??= '1';
    nemesisOnly = true;
  } else if (arg === '--schedules' || arg.startsWith('--schedules=')) {
    env.FAULTS_SCHEDULES = value();
  } else if (arg === '--long') {
    env.FAULTS_LONG = 'true';
    nemesisOnly = true;
  } else if (arg === '--nemesis') {
    nemesisOnly = true;
  } else rest.push(arg);
}
// --seed N --schedules M: the explicit count wins over the replay default of 1.
if (args.some((a) => a.startsWith('--schedules'))) {
  const i = args.findIndex((a) => a.startsWith('--schedules'));
  env.FAULTS_SCHEDULES = args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
}
const vitestArgs = ['run', ...(nemesisOnly ? ['-t', 'nemesis'] : []), ...rest];
const child = spawn('vitest', vitestArgs, { stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
