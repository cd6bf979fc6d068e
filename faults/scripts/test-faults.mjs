#!/usr/bin/env node
/**
 * `pnpm test:faults [--seed N] [--schedules N] [--long] [--nemesis] [vitest args…]`
 * - `--seed N`: the nemesis only, schedule N (and N+1… with --schedules): replays it exactly.
 * - `--schedules N`: how many nemesis schedules (FAULTS_SCHEDULES; default 20).
 * - `--long`: the long local run: 200 schedules of up to 2,000 orders (FAULTS_LONG=true).
 * - `--nemesis`: the nemesis only (no fixed scenarios).
 * - `--galera`: the Galera mode only (test/galera.test.ts): a three-node cluster it starts
 *   itself, three replicas, the node faults (FAULTS_GALERA=true).
 * Everything else goes to vitest (e.g. `-t 'kill -9 of the scheduler'`).
 */
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const rest = [];
const env = { ...process.env };
const given = {};
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  const [name, inline] = arg.split('=');
  if (arg === '--') continue;
  if (name === '--seed' || name === '--schedules') {
    const v = inline ?? args[++i];
    if (v === undefined || !/^\d+$/.test(v)) {
      console.error(`${name} needs a non-negative integer`);
      process.exit(2);
    }
    given[name.slice(2)] = v;
  } else if (arg === '--long') given.long = true;
  else if (arg === '--nemesis') given.nemesis = true;
  else if (arg === '--galera') given.galera = true;
  else rest.push(arg);
}
if (given.seed !== undefined) env.FAULTS_SEED = given.seed;
if (given.long) env.FAULTS_LONG = 'true';
if (given.galera) env.FAULTS_GALERA = 'true';
// An explicit count wins; a replay (--seed without --long) is one schedule; --long means 200.
if (given.schedules !== undefined) env.FAULTS_SCHEDULES = given.schedules;
else if (given.seed !== undefined && !given.long) env.FAULTS_SCHEDULES = '1';
const nemesisOnly = given.nemesis || given.long || given.seed !== undefined;
const vitestArgs = ['run', ...(nemesisOnly ? ['-t', 'nemesis'] : []), ...rest];
const child = spawn('vitest', vitestArgs, { stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
