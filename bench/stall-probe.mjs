// Where the service's event loop loses time: preloaded into the service for a diagnostic run,
//   BENCH_KEEP=1 BENCH_NODE_ARGS="--import ./bench/stall-probe.mjs" BENCH_PHASES=latency node bench/run.mjs
// it writes `stall-probe.log` into each service's data directory (kept with BENCH_KEEP=1): one line
// per second with the loop's utilisation, its delay (p50 / p99 / max), and how long the main thread
// waited for a core (the kernel's run-queue wait, from /proc/thread-self/schedstat, Linux only); and
// one line per stall (a 2 ms timer late by more than 12 ms) splitting it into the main thread's own
// CPU, its wait for a core and garbage collection. A stall made of CPU with no collection is work
// that queued up; one made of run-queue wait is the machine's other threads and processes.
// Figures taken with it are not the benchmark's (it reads /proc 500 times a second).
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

const out = join(process.env.HOOKLEDGER_DATA_DIR ?? '.', 'stall-probe.log');
const TICK_MS = 2;
const STALL_MS = 12;

/** [on-CPU ns, run-queue wait ns] of the main thread. */
function schedstat() {
  try {
    const [cpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return [cpu, wait];
  } catch {
    return [0, 0];
  }
}

const collections = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) collections.push([entry.startTime, entry.duration]);
  if (collections.length > 1000) collections.splice(0, collections.length - 200);
}).observe({ entryTypes: ['gc'] });
const gcWithin = (from, to) => collections.filter(([t, d]) => t + d >= from && t <= to).reduce((sum, [, d]) => sum + d, 0);

const lines = [];
let dirMade = false;
const ms = (ns) => (ns / 1e6).toFixed(1);

let tickAt = performance.now();
let tickStat = schedstat();
setInterval(() => {
  const now = performance.now();
  const stat = schedstat();
  const late = now - tickAt;
  if (late > STALL_MS) {
    lines.push(`${Math.round(now)} stall ${late.toFixed(1)} ms: cpu ${ms(stat[0] - tickStat[0])} run-queue ${ms(stat[1] - tickStat[1])} gc ${gcWithin(tickAt, now).toFixed(1)}`);
  }
  tickAt = now;
  tickStat = stat;
}, TICK_MS).unref();

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let utilisation = performance.eventLoopUtilization();
let secondStat = schedstat();
setInterval(() => {
  const elu = performance.eventLoopUtilization(utilisation);
  utilisation = performance.eventLoopUtilization();
  const stat = schedstat();
  lines.push(
    `${Math.round(performance.now())} second: loop busy ${elu.utilization.toFixed(2)}, delay p50 ${ms(delay.percentile(50))} p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms, cpu ${ms(stat[0] - secondStat[0])} ms, run-queue ${ms(stat[1] - secondStat[1])} ms`,
  );
  delay.reset();
  secondStat = stat;
  try {
    // The service may not have made its data directory yet in its first second.
    if (!dirMade) {
      mkdirSync(dirname(out), { recursive: true });
      dirMade = true;
    }
    appendFileSync(out, lines.join('\n') + '\n');
  } catch (error) {
    // A diagnostic must not take the service down: say so once per failed write and drop the lines.
    process.stderr.write(`stall-probe: ${error.message}\n`);
  }
  lines.length = 0;
}, 1000).unref();
