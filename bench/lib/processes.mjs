// Child processes of the benchmark: the built service (`node dist/main.js`) and the receiver
// (bench/receiver.mjs). Every child is registered so the harness kills it on any exit.
import { fork, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { request } from 'undici';
import { sleep, waitUntil } from './util.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ROOT_KEY = 'bench-root-key-0123456789abcdefghijklmnop';

const children = new Set();

/** SIGKILL every child still running (used on exit and failure). */
export function killChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** /proc/<pid>/status memory lines in MB (Linux); null elsewhere or once the process is gone. */
export function readMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

let serviceRuns = 0;

/**
 * `BENCH_SERVICE_ENV="HOOKLEDGER_MAX_IN_FLIGHT=2048 HOOKLEDGER_…=…"`: service settings for an
 * experiment, given to every service run. Only `HOOKLEDGER_*` names; figures taken with them are
 * not the benchmark's.
 */
function serviceSettings(spec = '') {
  const settings = {};
  for (const pair of spec.split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf('=');
    const name = at > 0 ? pair.slice(0, at) : '';
    if (!name.startsWith('HOOKLEDGER_')) throw new Error(`BENCH_SERVICE_ENV: "${pair}" is not HOOKLEDGER_NAME=value`);
    settings[name] = pair.slice(at + 1);
  }
  return settings;
}

/**
 * The built service as a child on a data directory, exactly as a user starts it, on 127.0.0.1
 * with a free port. Its stdout (one JSON log line per request at the default level) goes to a file,
 * as it would in production, so a slow reader never blocks it. Peak RSS is sampled while it runs.
 */
export class ServiceProcess {
  constructor({ dataDir, logDir, label, env = {}, nodeArgs = [] }) {
    this.dataDir = dataDir;
    this.label = label;
    this.logFile = join(logDir, `service-${++serviceRuns}-${label}.log`);
    this.extraEnv = env;
    this.nodeArgs = nodeArgs;
    this.url = '';
    this.peakHwmMb = 0;
    this.peakRssMb = 0;
    this.stderr = '';
  }

  env() {
    return {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: '0',
      HOST: '127.0.0.1',
      HOOKLEDGER_DATA_DIR: this.dataDir,
      HOOKLEDGER_ROOT_KEY: ROOT_KEY,
      HOOKLEDGER_ALLOW_INSECURE_URLS: 'true',
      HOOKLEDGER_ALLOWED_NETWORKS: '127.0.0.1/32',
      ...(process.env.BENCH_LOG_LEVEL ? { HOOKLEDGER_LOG_LEVEL: process.env.BENCH_LOG_LEVEL } : {}),
      ...serviceSettings(process.env.BENCH_SERVICE_ENV),
      ...this.extraEnv,
    };
  }

  /** Spawns and resolves once the "listening" line is logged; `spawnedAt` is kept for start-up timings. */
  async start(timeoutMs = 60_000) {
    const out = openSync(this.logFile, 'a');
    this.spawnedAt = performance.now();
    // Started as it ships: with the service's own node options (`npm start`, the Dockerfile) first.
    const { SERVICE_NODE_FLAGS } = await import(pathToFileURL(join(ROOT, 'dist/shared/runtime/node-flags.js')).href);
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...this.nodeArgs, 'dist/main.js'], {
      cwd: ROOT,
      env: this.env(),
      stdio: ['ignore', out, 'pipe'],
    });
    closeSync(out);
    this.child = track(child);
    this.pid = child.pid;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      if (this.stderr.length < 65_536) this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    let exitedEarly = null;
    this.exited.then((e) => (exitedEarly = e));
    this.sampler = setInterval(() => this.sampleMemory(), 250);
    this.sampler.unref();
    const fd = openSync(this.logFile, 'r');
    try {
      let offset = 0;
      let text = '';
      const buffer = Buffer.alloc(65_536);
      this.url = await waitUntil(
        () => {
          if (exitedEarly) throw new Error(`service exited (${JSON.stringify(exitedEarly)}) before listening:\n${this.stderr}\n${this.tail()}`);
          for (let guard = 0; guard < 1000; guard++) {
            const n = readSync(fd, buffer, 0, buffer.length, offset);
            if (n <= 0) break;
            offset += n;
            text += buffer.subarray(0, n).toString('utf8');
          }
          const match = /"msg":"listening","url":"([^"]+)"/.exec(text);
          return match ? match[1] : null;
        },
        { timeoutMs, intervalMs: 10, what: `service ${this.label} to listen` },
      );
    } finally {
      closeSync(fd);
    }
    this.listeningAfterMs = performance.now() - this.spawnedAt;
    return this;
  }

  sampleMemory() {
    const memory = readMemory(this.pid);
    if (!memory) return;
    if (memory.hwmMb > this.peakHwmMb) this.peakHwmMb = memory.hwmMb;
    if (memory.rssMb > this.peakRssMb) this.peakRssMb = memory.rssMb;
  }

  /** Polls GET /ready until 200; resolves with ms since spawn. */
  async waitReady(timeoutMs) {
    await waitUntil(
      async () => {
        try {
          const response = await request(`${this.url}/ready`, { headersTimeout: 5000, bodyTimeout: 5000 });
          await response.body.dump();
          return response.statusCode === 200;
        } catch {
          return false;
        }
      },
      { timeoutMs, intervalMs: 100, what: `service ${this.label} to be ready` },
    );
    return performance.now() - this.spawnedAt;
  }

  /** SIGTERM (graceful: a --cpu-prof profile is written), SIGKILL after the grace period. */
  async stop(graceMs = 45_000) {
    if (!this.child) return;
    this.sampleMemory();
    clearInterval(this.sampler);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const result = await Promise.race([this.exited, sleep(graceMs).then(() => null)]);
      if (result === null) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    this.child = null;
  }

  tail(bytes = 4000) {
    try {
      const text = readFileSync(this.logFile, 'utf8');
      return text.slice(-bytes);
    } catch {
      return '';
    }
  }
}

/** The receiver in its own process (bench/receiver.mjs), reached over IPC for counts and arrival times. */
export class ReceiverProcess {
  constructor() {
    this.count = 0;
    this.url = '';
    this.nextId = 1;
    this.pending = new Map();
  }

  async start(timeoutMs = 15_000) {
    const child = fork(join(ROOT, 'bench/receiver.mjs'), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = track(child);
    this.pid = child.pid;
    child.on('message', (message) => {
      if (message.type === 'count') this.count = message.count;
      else if (message.type === 'listening') this.url = message.url;
      const waiter = message.id !== undefined ? this.pending.get(message.id) : undefined;
      if (waiter) {
        this.pending.delete(message.id);
        waiter(message);
      }
    });
    await waitUntil(() => this.url, { timeoutMs, what: 'receiver to listen' });
    return this;
  }

  call(message, timeoutMs = 60_000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`receiver did not answer ${message.type}`));
      }, timeoutMs);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.child.send({ ...message, id });
    });
  }

  async stats() {
    const answer = await this.call({ type: 'stats' });
    this.count = Math.max(this.count, answer.count);
    return answer;
  }

  record(on) {
    return this.call({ type: 'record', on });
  }

  /** Arrival time (epoch ms) by webhook-id, for the ids recorded since record(true). */
  async arrivals(file) {
    await this.call({ type: 'dump', file }, 120_000);
    const map = new Map();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      const space = line.indexOf(' ');
      map.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
    return map;
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await Promise.race([exited, sleep(5000)]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** CPU seconds used so far by a process (Linux /proc), or null. */
export function processCpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores; Linux /proc/stat), or null. */
function machineBusySeconds() {
  try {
    const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const ticks = values.map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - ticks[3] - ticks[4]) / 100;
  } catch {
    return null;
  }
}

/**
 * CPU use over an interval, in cores: each of ours (service, receiver, this harness) and everything
 * else on the machine ("other"), so a result taken while something else was busy can be told apart.
 */
export function cpuMeter(pids) {
  const start = { at: performance.now(), machine: machineBusySeconds(), self: process.cpuUsage(), pids: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)])) };
  return () => {
    const seconds = (performance.now() - start.at) / 1000;
    const self = process.cpuUsage(start.self);
    const result = { harness: (self.user + self.system) / 1e6 / seconds };
    let ours = result.harness;
    for (const [name, pid] of Object.entries(pids)) {
      const now = processCpuSeconds(pid);
      result[name] = now === null || start.pids[name] === null ? null : (now - start.pids[name]) / seconds;
      ours += result[name] ?? 0;
    }
    const machine = machineBusySeconds();
    result.machine = machine === null ? null : (machine - start.machine) / seconds;
    result.other = result.machine === null ? null : Math.max(0, result.machine - ours);
    for (const key of Object.keys(result)) if (result[key] !== null) result[key] = Math.round(result[key] * 100) / 100;
    return result;
  };
}
