// hookledger benchmark harness (issue 7). `npm run bench` builds, then runs this.
//
// The built service runs as a child process (`node dist/main.js`) on the embedded SQLite store with
// its default settings (synchronous=FULL), in a temp data directory; the receiver runs in another
// process (bench/receiver.mjs). Everything listens on 127.0.0.1. See README "Performance" and the
// variables below. Results: a table on stdout and bench/results/latest.json (gitignored).
import { closeSync, cpSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { deliveryOutcomes, ledgerStats, readTemplates, seedLedger, storeBenchmark } from './lib/ledger.mjs';
import { publishPhase, rawPhase, setUp } from './lib/load.mjs';
import { killChildren, ReceiverProcess, ROOT, ROOT_KEY, ServiceProcess } from './lib/processes.mjs';
import { round, waitUntil } from './lib/util.mjs';
import { formatProfileSummary, summariseProfile } from './profile-summary.mjs';

// ---------------------------------------------------------------------------------------------
// Configuration (environment)
const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const number = (name, fallback) => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`bench: ${name}=${JSON.stringify(raw)} must be a positive number\n`);
    process.exit(2);
  }
  return value;
};
const SECONDS = number('BENCH_SECONDS', QUICK ? 4 : 60);
const config = {
  quick: QUICK,
  /** Sustained publish phases: one per request, batched, fan-out. */
  seconds: SECONDS,
  rawSeconds: number('BENCH_RAW_SECONDS', QUICK ? 3 : Math.min(SECONDS, 20)),
  latencySeconds: number('BENCH_LATENCY_SECONDS', QUICK ? 4 : Math.min(SECONDS, 30)),
  /** Which open-loop latency points to run: `halfMax`, `max` or both (comma-separated). */
  latencyPoints: (env.BENCH_LATENCY_POINTS ?? 'halfMax,max').split(',').map((s) => s.trim()),
  scaleSeconds: number('BENCH_SCALE_SECONDS', QUICK ? 4 : Math.min(SECONDS, 30)),
  storeSeconds: number('BENCH_STORE_SECONDS', QUICK ? 1.5 : 5),
  profileSeconds: number('BENCH_PROFILE_SECONDS', QUICK ? 5 : Math.min(SECONDS, 20)),
  scaleSmall: Math.round(number('BENCH_SCALE_SMALL', 10_000)),
  scaleLarge: Math.round(number('BENCH_SCALE_LARGE', QUICK ? 100_000 : 1_000_000)),
  scalePairs: Math.max(1, Math.round(number('BENCH_SCALE_PAIRS', QUICK ? 1 : 2))),
  publishers: Math.round(number('BENCH_PUBLISHERS', 64)),
  batchPublishers: Math.round(number('BENCH_BATCH_PUBLISHERS', 8)),
  batchSize: Math.min(100, Math.round(number('BENCH_BATCH_SIZE', 100))),
  fanout: Math.round(number('BENCH_FANOUT', 10)),
  backlog: Math.round(number('BENCH_BACKLOG', 1000)),
  warmupSeconds: env.BENCH_WARMUP_SECONDS === '0' ? 0 : number('BENCH_WARMUP_SECONDS', QUICK ? 1 : 5),
  /** The service's default per-subscription concurrency (SPEC §5): the raw loop uses as many connections. */
  rawConnections: Math.round(number('BENCH_RAW_CONNECTIONS', 10)),
  profile: env.BENCH_PROFILE === '1',
  /** `batch` (default): the (2b) load; `open`: one per request at BENCH_PROFILE_RATE events/s, as (4). */
  profileLoad: env.BENCH_PROFILE_LOAD === 'open' ? 'open' : 'batch',
  profileRate: number('BENCH_PROFILE_RATE', 1000),
  phases: (env.BENCH_PHASES ?? 'raw,single,batch,fanout,latency,store,scale').split(',').map((s) => s.trim()).filter(Boolean),
  maxMinutes: number('BENCH_MAX_MINUTES', 40),
  keep: env.BENCH_KEEP === '1',
  maxConcurrency: env.BENCH_MAX_CONCURRENCY ? Number(env.BENCH_MAX_CONCURRENCY) : 'default (10)',
};
if (config.profile && !config.phases.includes('profile')) config.phases.push('profile');
const RESULTS_DIR = join(ROOT, 'bench/results');
const TARGETS = {
  batchedDeliveriesPerSecond: 4000,
  singleDeliveriesPerSecond: 2000,
  ratioToRaw: 0.35,
  p99AtHalfMaxMs: 15,
  store100PerAppendEventsPerSecond: 50_000,
  scalingWithinPct: 10,
  rebuild1MSeconds: 60,
  peakRssMb: 400,
};

// ---------------------------------------------------------------------------------------------
// Lifecycle: children die with us, temp data goes away, a hard deadline bounds the whole run.
const workDir = mkdtempSync(join(tmpdir(), 'hookledger-bench-'));
const logDir = join(workDir, 'logs');
mkdirSync(logDir, { recursive: true });
let finished = false;
const cleanup = () => {
  killChildren();
  if (!config.keep) rmSync(workDir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping\n`);
    process.exit(130);
  });
}
const deadline = setTimeout(() => {
  process.stderr.write(`\nbench: still running after BENCH_MAX_MINUTES=${config.maxMinutes}; giving up\n`);
  process.exit(1);
}, config.maxMinutes * 60_000);
deadline.unref();

const startedAt = Date.now();
const log = (line) => process.stdout.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

// ---------------------------------------------------------------------------------------------
const results = {
  startedAt: new Date(startedAt).toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGb: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform} ${process.arch}` },
  config,
  raw: {},
  e2e: {},
  latency: {},
  store: null,
  scale: null,
  memory: { services: [] },
  profile: null,
};
const services = [];
let receiverRef = null;

function newService(label, dataDir, options = {}) {
  const service = new ServiceProcess({ dataDir, logDir, label, ...options, nodeArgs: [...(env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(options.nodeArgs ?? [])] });
  services.push(service);
  return service;
}

function recordMemory(service) {
  service.sampleMemory();
  results.memory.services.push({ label: service.label, peakRssMb: round(service.peakHwmMb || service.peakRssMb, 1) });
}

/** A fresh service on a fresh data directory with one tenant and `subscriptions` subscriptions to `eventType`. */
async function freshService(label, receiver, eventType, subscriptions = 1, options = {}) {
  const dataDir = join(workDir, `data-${label}`);
  const service = await newService(label, dataDir, options).start();
  await service.waitReady(60_000);
  const setup = await setUp(service, { rootKey: ROOT_KEY, receiver, eventType, subscriptions });
  return { service, setup };
}

/**
 * A fresh service is cold (JIT, page cache): every measured phase follows a short closed-loop
 * warm-up with the same kind of load, drained before the measurement starts.
 */
async function warmUp(service, setup, eventType, { batch, concurrency }) {
  if (!config.warmupSeconds) return;
  await publishPhase({ label: 'warm-up', service, receiver: receiverRef, publisherKey: setup.publisherKey, eventType, seconds: config.warmupSeconds, batch, concurrency, backlog: config.backlog, workDir });
}

async function stopService(service) {
  recordMemory(service);
  await service.stop();
  if (!config.keep) rmSync(service.dataDir, { recursive: true, force: true });
}

async function main() {
  log(`hookledger bench: ${config.quick ? 'QUICK' : 'full'} run, phases ${config.phases.join(',')}; work dir ${workDir}`);
  log(`machine: ${results.machine.cpus} cores (${results.machine.cpuModel}), ${results.machine.memoryGb} GiB, node ${process.version}`);
  if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: run `npm run build` (npm run bench does)');
  const receiver = await new ReceiverProcess().start();
  receiverRef = receiver;
  log(`receiver (pid ${receiver.pid}) at ${receiver.url}`);
  const has = (phase) => config.phases.includes(phase);
  const common = { receiver, workDir, log, backlog: config.backlog };

  // (1) raw limit ---------------------------------------------------------------------------
  if (has('raw')) {
    log(`(1) raw limit: undici request → receiver, ${config.rawSeconds} s each`);
    results.raw.connections = await rawPhase({ label: `raw, ${config.rawConnections} connections`, receiverUrl: receiver.url, receiverPid: receiver.pid, connections: config.rawConnections, seconds: config.rawSeconds, log });
    const fanoutConnections = config.rawConnections * config.fanout;
    results.raw.fanoutConnections = await rawPhase({ label: `raw, ${fanoutConnections} connections`, receiverUrl: receiver.url, receiverPid: receiver.pid, connections: fanoutConnections, seconds: config.rawSeconds, log });
  }

  // (2a) one event per request, 64 publishers; latency at the maximum --------------------------
  if (has('single')) {
    log(`(2a) end to end, one event per request, ${config.publishers} publishers, ${config.seconds} s`);
    const { service, setup } = await freshService('single', receiver, 'order.single');
    await warmUp(service, setup, 'order.single', { batch: 1, concurrency: config.publishers });
    results.e2e.single = await publishPhase({ ...common, label: '2a one per request', service, publisherKey: setup.publisherKey, eventType: 'order.single', seconds: config.seconds, batch: 1, concurrency: config.publishers, recordLatency: true });
    results.e2e.single.peakRssMb = round(service.peakHwmMb, 1);
    await stopService(service);
  }

  // (2b) batches of 100 ------------------------------------------------------------------------
  if (has('batch')) {
    log(`(2b) end to end, batches of ${config.batchSize}, ${config.batchPublishers} publishers, ${config.seconds} s`);
    const { service, setup } = await freshService('batch', receiver, 'order.batch');
    await warmUp(service, setup, 'order.batch', { batch: config.batchSize, concurrency: config.batchPublishers });
    results.e2e.batch = await publishPhase({ ...common, label: `2b batches of ${config.batchSize}`, service, publisherKey: setup.publisherKey, eventType: 'order.batch', seconds: config.seconds, batch: config.batchSize, concurrency: config.batchPublishers, recordLatency: true });
    results.e2e.batch.peakRssMb = round(service.peakHwmMb, 1);
    await stopService(service);
  }

  // (3) fan-out: 10 subscriptions per event ------------------------------------------------------
  if (has('fanout')) {
    log(`(3) fan-out to ${config.fanout} subscriptions, batches of ${config.batchSize}, ${config.seconds} s`);
    const { service, setup } = await freshService('fanout', receiver, 'order.fanout', config.fanout);
    await warmUp(service, setup, 'order.fanout', { batch: config.batchSize, concurrency: config.batchPublishers });
    results.e2e.fanout = await publishPhase({ ...common, label: `3 fan-out x${config.fanout}, batches of ${config.batchSize}`, service, publisherKey: setup.publisherKey, eventType: 'order.fanout', seconds: config.seconds, batch: config.batchSize, concurrency: config.batchPublishers, backlog: config.backlog * 2 });
    results.e2e.fanout.peakRssMb = round(service.peakHwmMb, 1);
    await stopService(service);
  }

  // (4) latency, open loop at half the maximum one-per-request rate and at the maximum ----------
  if (has('latency')) {
    const max = results.e2e.single?.deliveriesPerSecond ?? Number(env.BENCH_MAX_RATE ?? 1000);
    const points = [['halfMax', 0.5], ['max', 1]].filter(([key]) => config.latencyPoints.includes(key));
    for (const [key, fraction] of points) {
      const rate = max * fraction;
      log(`(4) latency at ${fraction === 1 ? 'the maximum' : 'half the maximum'}: ${Math.round(rate)} events/s, one per request (open loop), ${config.latencySeconds} s`);
      const { service, setup } = await freshService(`latency-${key}`, receiver, 'order.latency');
      await warmUp(service, setup, 'order.latency', { batch: 1, concurrency: config.publishers });
      results.latency[key] = await publishPhase({ ...common, label: `4 latency at ${Math.round(rate)} events/s`, service, publisherKey: setup.publisherKey, eventType: 'order.latency', seconds: config.latencySeconds, batch: 1, concurrency: config.publishers, rate, recordLatency: true });
      results.latency[key].targetRate = rate;
      results.latency[key].peakRssMb = round(service.peakHwmMb, 1);
      await stopService(service);
    }
  }
  results.latency.closedLoopSingle = results.e2e.single?.latencyMs ?? null;
  results.latency.closedLoopBatch = results.e2e.batch?.latencyMs ?? null;

  // (5) store, in process --------------------------------------------------------------------
  if (has('store')) {
    log(`(5) store in process (synchronous=FULL, the default), ${config.storeSeconds} s each`);
    results.store = await storeBenchmark(join(workDir, 'store'), { seconds: config.storeSeconds, log });
    rmSync(join(workDir, 'store'), { recursive: true, force: true });
  }

  // (6) scaling with work in the ledger, and rebuilding the views --------------------------------
  if (has('scale')) await scalePhase(receiver, common);

  // profile under the batched load -------------------------------------------------------------
  if (has('profile')) await profilePhase(receiver, common);

  await receiver.stop();
}

async function scalePhase(receiver, common) {
  const scale = (results.scale = { smallRows: config.scaleSmall, largeRows: config.scaleLarge });
  const dataDir = join(workDir, 'data-scale');
  const type = 'order.scale';
  log(`(6) scaling: batched deliveries/s with ${config.scaleSmall} and ${config.scaleLarge} events already in the ledger (${config.scaleSeconds} s each)`);
  // A real published event with a real delivery, to copy.
  let service = await newService('scale-setup', dataDir).start();
  await service.waitReady(60_000);
  const setup = await setUp(service, { rootKey: ROOT_KEY, receiver, eventType: type });
  const published = await setup.call('POST', '/v1/events', setup.publisherKey, { type, data: { template: true } });
  const template = await waitUntil(
    () => {
      const o = deliveryOutcomes(dataDir, 0);
      return o.succeeded >= 2 ? true : null; // the subscription's test event, then this one
    },
    { timeoutMs: 30_000, what: 'the template delivery' },
  ).then(() => readTemplates(dataDir, published.id, published.deliveries[0].id));
  recordMemory(service);
  await service.stop();

  log(`  seeding the ledger to ${config.scaleSmall} events`);
  scale.seedSmall = await seedLedger(dataDir, config.scaleSmall, template);
  // Snapshots, copied afresh for every run, so each run starts from the same ledger.
  const smallSnapshot = join(workDir, 'snapshot-small');
  cpSync(dataDir, smallSnapshot, { recursive: true });
  service = await newService('scale-small-catch-up', dataDir).start();
  scale.catchUpSmallSeconds = (await service.waitReady(600_000)) / 1000;
  recordMemory(service);
  await service.stop();

  log(`  seeding the ledger from ${ledgerStats(dataDir).rows} to ${config.scaleLarge} events`);
  scale.seedLarge = await seedLedger(dataDir, config.scaleLarge, template);
  log(`  seeded ${scale.seedLarge.added} events in ${scale.seedLarge.seconds.toFixed(1)} s (${Math.round(scale.seedLarge.rowsPerSecond)} events/s)`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `read-model.db${suffix}`), { force: true });
  log(`  read-model.db deleted; rebuilding all views from ${scale.seedLarge.after} ledger events`);
  service = await newService('scale-large-rebuild', dataDir).start();
  const readyMs = await service.waitReady(1_200_000);
  scale.rebuild = { ledgerEvents: scale.seedLarge.after, listeningSeconds: service.listeningAfterMs / 1000, readySeconds: readyMs / 1000, eventsPerSecond: scale.seedLarge.after / (readyMs / 1000), peakRssMb: round(service.peakHwmMb, 1) };
  log(`  rebuilt in ${(readyMs / 1000).toFixed(1)} s (${Math.round(scale.rebuild.eventsPerSecond)} events/s), peak RSS ${Math.round(service.peakHwmMb)} MB`);
  recordMemory(service);
  await service.stop();
  const largeSnapshot = dataDir;

  // Runs alternate small, large, small, large...: this machine drifts by ±10 % over minutes, and
  // alternating spreads the drift over both sides instead of charging it to one.
  scale.runs = [];
  for (let pair = 1; pair <= config.scalePairs; pair++) {
    for (const [size, snapshot] of [['small', smallSnapshot], ['large', largeSnapshot]]) {
      const runDir = join(workDir, `data-scale-run`);
      rmSync(runDir, { recursive: true, force: true });
      copyToDisk(snapshot, runDir);
      const rowsBefore = ledgerStats(runDir).rows;
      const run = newService(`scale-${size}-${pair}`, runDir);
      await run.start();
      await run.waitReady(600_000);
      await warmUp(run, setup, type, { batch: config.batchSize, concurrency: config.batchPublishers });
      const result = await publishPhase({ ...common, label: `6 batched, ${rowsBefore} events in the ledger (pair ${pair})`, service: run, publisherKey: setup.publisherKey, eventType: type, seconds: config.scaleSeconds, batch: config.batchSize, concurrency: config.batchPublishers });
      scale.runs.push({ size, pair, ledgerRowsBefore: rowsBefore, deliveriesPerSecond: result.deliveriesPerSecond, peakRssMb: round(run.peakHwmMb, 1) });
      recordMemory(run);
      await run.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
  }
  const mean = (size) => {
    const runs = scale.runs.filter((r) => r.size === size);
    return { ledgerRowsBefore: runs[0].ledgerRowsBefore, deliveriesPerSecond: runs.reduce((sum, r) => sum + r.deliveriesPerSecond, 0) / runs.length, runs: runs.map((r) => Math.round(r.deliveriesPerSecond)) };
  };
  scale.small = mean('small');
  scale.large = mean('large');
  scale.largeVsSmallPct = round(((scale.large.deliveriesPerSecond - scale.small.deliveriesPerSecond) / scale.small.deliveriesPerSecond) * 100, 1);
  scale.pairPcts = [];
  for (let pair = 1; pair <= config.scalePairs; pair++) {
    const [small, large] = ['small', 'large'].map((size) => scale.runs.find((r) => r.size === size && r.pair === pair).deliveriesPerSecond);
    scale.pairPcts.push(round(((large - small) / small) * 100, 1));
  }
  rmSync(smallSnapshot, { recursive: true, force: true });
}

/**
 * Copies a data directory and has the copy written to disk before it is used. A plain copy leaves
 * the writing to the kernel, which does it later, during the measured run, where the service's
 * own fsyncs then wait behind it. The large snapshot is hundreds of times the small one, so that
 * charged the large run alone: in back-to-back runs here, pairs of −10.8 and −6.5 % without the
 * sync, +0.5 and −1.7 % with it.
 */
function copyToDisk(from, to) {
  const started = Date.now();
  cpSync(from, to, { recursive: true });
  let bytes = 0;
  const syncTree = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) syncTree(path);
      else if (entry.isFile()) {
        bytes += statSync(path).size;
        fsyncPath(path);
      }
    }
    fsyncPath(dir);
  };
  syncTree(to);
  log(`  copied ${Math.round(bytes / 2 ** 20)} MB of data directory and wrote it to disk in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function fsyncPath(path) {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function profilePhase(receiver, common) {
  const profileDir = join(RESULTS_DIR, 'profile');
  rmSync(profileDir, { recursive: true, force: true });
  mkdirSync(profileDir, { recursive: true });
  const open = config.profileLoad === 'open';
  const what = open ? `open loop at ${config.profileRate} events/s, one per request` : 'batched load';
  log(`profile: ${what} on a service run with --cpu-prof, ${config.profileSeconds} s (figures under the profiler are not the benchmark's)`);
  const { service, setup } = await freshService('profile', receiver, 'order.profile', 1, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-name=service.cpuprofile'] });
  const load = open
    ? { batch: 1, concurrency: config.publishers, rate: config.profileRate, recordLatency: true }
    : { batch: config.batchSize, concurrency: config.batchPublishers };
  await warmUp(service, setup, 'order.profile', { batch: load.batch, concurrency: load.concurrency });
  const run = await publishPhase({ ...common, label: `profile: ${what} under --cpu-prof`, service, publisherKey: setup.publisherKey, eventType: 'order.profile', seconds: config.profileSeconds, ...load });
  await stopService(service);
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${profileDir}`);
  const summary = summariseProfile(join(profileDir, file), 30);
  results.profile = { load: what, run: { deliveriesPerSecond: run.deliveriesPerSecond, seconds: config.profileSeconds }, ...summary };
  process.stdout.write('\n' + formatProfileSummary(summary) + '\n\n');
}

// ---------------------------------------------------------------------------------------------
// Report
function verdict(value, target, higherIsBetter = true) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return (higherIsBetter ? value >= target : value <= target) ? 'met' : 'MISSED';
}

function report() {
  const r = results;
  const rows = [];
  const add = (measure, value, unit, target = '', status = '') => rows.push([measure, value === null || value === undefined ? 'n/a' : String(value), unit, target, status]);
  const rawRate = r.raw.connections?.requestsPerSecond ?? null;
  if (r.raw.connections) add(`(1) raw limit, ${r.raw.connections.connections} connections`, Math.round(rawRate), 'requests/s');
  if (r.raw.fanoutConnections) add(`(1) raw limit, ${r.raw.fanoutConnections.connections} connections`, Math.round(r.raw.fanoutConnections.requestsPerSecond), 'requests/s');
  const single = r.e2e.single?.deliveriesPerSecond ?? null;
  if (r.e2e.single) add(`(2a) one per request, ${config.publishers} publishers`, Math.round(single), 'deliveries/s', `>= ${TARGETS.singleDeliveriesPerSecond}`, verdict(single, TARGETS.singleDeliveriesPerSecond));
  const batch = r.e2e.batch?.deliveriesPerSecond ?? null;
  if (r.e2e.batch) add(`(2b) batches of ${config.batchSize}`, Math.round(batch), 'deliveries/s', `>= ${TARGETS.batchedDeliveriesPerSecond}`, verdict(batch, TARGETS.batchedDeliveriesPerSecond));
  const ratio = batch !== null && rawRate ? batch / rawRate : null;
  r.ratioBatchToRaw = ratio === null ? null : round(ratio, 3);
  if (ratio !== null) add('(2b) / raw limit (same connections)', round(ratio, 3), 'ratio', `>= ${TARGETS.ratioToRaw}`, verdict(ratio, TARGETS.ratioToRaw));
  if (r.e2e.fanout) {
    add(`(3) fan-out x${config.fanout}, batches of ${config.batchSize}`, Math.round(r.e2e.fanout.deliveriesPerSecond), 'deliveries/s');
    if (r.raw.fanoutConnections) add(`(3) / raw limit (${r.raw.fanoutConnections.connections} connections)`, round(r.e2e.fanout.deliveriesPerSecond / r.raw.fanoutConnections.requestsPerSecond, 3), 'ratio');
  }
  const half = r.latency.halfMax?.latencyMs ?? null;
  if (half) {
    add(`(4) publish→receiver, open loop ${Math.round(r.latency.halfMax.targetRate)}/s (half max) p50`, half.p50, 'ms');
    add(`(4) publish→receiver, open loop half max p99`, half.p99, 'ms', `<= ${TARGETS.p99AtHalfMaxMs}`, verdict(half.p99, TARGETS.p99AtHalfMaxMs, false));
    const commits = r.latency.halfMax.ledgerCommits;
    if (commits) add(`(4)   its ledger commits: p50 / p99 / max at most; over ${commits.slowerThanMs} ms`, `${commits.p50AtMostMs} / ${commits.p99AtMostMs} / ${commits.maxAtMostMs ?? '>2500'}; ${commits.slower} of ${commits.commits}`, 'ms');
    add(`(4)   delivered at half max (offered ${Math.round(r.latency.halfMax.targetRate)}/s)`, Math.round(r.latency.halfMax.deliveriesPerSecond), 'deliveries/s');
  }
  const full = r.latency.max?.latencyMs ?? null;
  if (full) {
    add(`(4) publish→receiver, open loop ${Math.round(r.latency.max.targetRate)}/s (max) p50 / p99`, `${full.p50} / ${full.p99}`, 'ms');
    add(`(4)   delivered at max (offered ${Math.round(r.latency.max.targetRate)}/s)`, Math.round(r.latency.max.deliveriesPerSecond), 'deliveries/s');
  }
  if (r.latency.closedLoopSingle) add(`(4) publish→receiver, closed loop 2a (backlog cap ${config.backlog}) p50 / p99`, `${r.latency.closedLoopSingle.p50} / ${r.latency.closedLoopSingle.p99}`, 'ms');
  if (r.latency.closedLoopBatch) add(`(4) publish→receiver, closed loop 2b (backlog cap ${config.backlog}) p50 / p99`, `${r.latency.closedLoopBatch.p50} / ${r.latency.closedLoopBatch.p99}`, 'ms');
  if (r.store) {
    add('(5) store, 1 event per append, sequential', Math.round(r.store.single.eventsPerSecond), 'appends/s');
    add('(5) store, 1 event per append, 64 concurrent', Math.round(r.store.singleConcurrent.eventsPerSecond), 'appends/s');
    add('(5) store, 100 events per append, sequential', Math.round(r.store.hundred.eventsPerSecond), 'events/s', `>= ${TARGETS.store100PerAppendEventsPerSecond}`, verdict(r.store.hundred.eventsPerSecond, TARGETS.store100PerAppendEventsPerSecond));
    if (r.store.sqliteAlone) {
      add('(5)   bound: SQLite alone, same rows, 100 per transaction', Math.round(r.store.sqliteAlone.eventsPerSecond), 'events/s');
      add('(5)   store ÷ bound', round(r.store.hundred.eventsPerSecond / r.store.sqliteAlone.eventsPerSecond, 2), '');
    }
  }
  if (r.scale) {
    const s = r.scale;
    const runs = (x) => (x.runs.length > 1 ? `, mean of ${x.runs.join(' and ')}` : '');
    if (s.small) add(`(6) batched, ${s.small.ledgerRowsBefore} events in ledger${runs(s.small)}`, Math.round(s.small.deliveriesPerSecond), 'deliveries/s');
    if (s.large) add(`(6) batched, ${s.large.ledgerRowsBefore} events in ledger${runs(s.large)}`, Math.round(s.large.deliveriesPerSecond), 'deliveries/s');
    const signed = (pct) => `${pct > 0 ? '+' : ''}${pct}`;
    if (s.largeVsSmallPct !== undefined && s.largeVsSmallPct !== null) {
      // Judged on the means, not on the one-decimal figure shown: -10.04 % is past 10 %. Both ways, as
      // the target says: a large ledger measured 11 % faster says the pairs are too noisy to show 10 %.
      const pct = ((s.large.deliveriesPerSecond - s.small.deliveriesPerSecond) / s.small.deliveriesPerSecond) * 100;
      add(`(6) large vs small (pairs: ${s.pairPcts.map(signed).join(', ')} %)`, signed(s.largeVsSmallPct), '%', `within ±${TARGETS.scalingWithinPct}`, Math.abs(pct) <= TARGETS.scalingWithinPct ? 'met' : 'MISSED');
    }
    if (s.seedLarge) add('(6) seeding through the store (1000 per commit)', Math.round(s.seedLarge.rowsPerSecond), 'events/s');
    if (s.rebuild) add(`(6) rebuild all views from ${s.rebuild.ledgerEvents} events`, round(s.rebuild.readySeconds, 1), 's', `<= ${TARGETS.rebuild1MSeconds}`, s.rebuild.ledgerEvents >= 1_000_000 ? verdict(s.rebuild.readySeconds, TARGETS.rebuild1MSeconds, false) : 'n/a (< 1M)');
  }
  const peaks = r.memory.services.filter((s) => Number.isFinite(s.peakRssMb));
  const peak = peaks.reduce((m, s) => (s.peakRssMb > (m?.peakRssMb ?? -1) ? s : m), null);
  r.memory.peakRssMb = peak?.peakRssMb ?? null;
  r.memory.peakDuring = peak?.label ?? null;
  if (peak) add(`(7) service peak RSS (VmHWM), max over runs (${peak.label})`, Math.round(peak.peakRssMb), 'MB', `<= ${TARGETS.peakRssMb}`, verdict(peak.peakRssMb, TARGETS.peakRssMb, false));
  r.table = rows.map(([measure, value, unit, target, status]) => ({ measure, value, unit, target, status }));

  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...[['measure', 'value', 'unit', 'target', 'status'], ...rows].map((row) => String(row[i]).length)));
  const line = (row) => row.map((cell, i) => (i === 1 ? String(cell).padStart(widths[i]) : String(cell).padEnd(widths[i]))).join('  ');
  process.stdout.write(`\n${line(['measure', 'value', 'unit', 'target', 'status'])}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(line(row) + '\n');
  if (ratio !== null) process.stdout.write(`\nratio of (2b) batched deliveries/s to the raw limit: ${ratio.toFixed(3)} (target >= ${TARGETS.ratioToRaw})\n`);
  process.stdout.write(`memory per service run (peak RSS MB): ${peaks.map((s) => `${s.label} ${Math.round(s.peakRssMb)}`).join(', ')}\n`);
}

function writeResults(error) {
  results.finishedAt = new Date().toISOString();
  results.durationSeconds = round((Date.now() - startedAt) / 1000, 1);
  results.targets = TARGETS;
  if (error) results.error = String(error?.stack ?? error);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, error ? 'failed.json' : 'latest.json');
  writeFileSync(file, JSON.stringify(results, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  log(`results written to ${file.slice(ROOT.length)}`);
}

main().then(
  () => {
    report();
    writeResults();
    finished = true;
    log(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
    process.exit(0);
  },
  (error) => {
    process.stderr.write(`\nbench failed: ${error?.stack ?? error}\n`);
    for (const service of services) {
      if (service.stderr) process.stderr.write(`--- ${service.label} stderr ---\n${service.stderr.slice(-3000)}\n`);
    }
    try {
      report();
    } catch {
      // partial results only
    }
    writeResults(error);
    process.exit(1);
  },
);
void finished;
