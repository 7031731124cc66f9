import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseDuration } from '../shared/domain/duration.js';

export type StoreKind = 'sqlite' | 'esdb';
export type Role = 'api' | 'worker';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  rootKey: string | undefined;
  eventStore: StoreKind;
  esdbUrl: string;
  sqliteSynchronous: 'full' | 'normal';
  allowInsecureUrls: boolean;
  allowedNetworks: string[];
  maxPayloadBytes: number;
  masterKey: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  roles: Role[];
  metricsToken: string | undefined;
  /** How long a rotated-out signing secret keeps signing alongside the new one. */
  secretGraceMs: number;
  /** Attempts in flight at once across all subscriptions. */
  maxInFlight: number;
  /** A subscription failing every attempt for this long is disabled (reason `failing`). */
  disableFailingAfterMs: number;
  /** How many nice steps below the main thread the threads the process starts with run (0: unchanged). */
  helperThreadNice: number;
  /** How long SIGTERM waits for attempts in flight before closing. */
  shutdownGraceMs: number;
}

/** Start-up stops with this: every bad variable named, with what it should be. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the environment (SPEC §7); see README "Configuration" for every variable. */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: T, parse: (raw: string) => T | string): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = parse(raw.trim());
    if (typeof parsed === 'string' && typeof fallback !== 'string') {
      problems.push(`${name}=${JSON.stringify(raw)}: ${parsed}`);
      return fallback;
    }
    return parsed as T;
  };
  const oneOf =
    <T extends string>(name: string, values: readonly T[], fallback: T) =>
    (raw: string): T => {
      const v = raw.toLowerCase() as T;
      if (values.includes(v)) return v;
      problems.push(`${name}=${JSON.stringify(raw)}: must be one of ${values.join(', ')}`);
      return fallback;
    };

  const config: Config = {
    port: read('PORT', 3000, (raw) => integerIn(raw, 0, 65535) ?? 'must be a whole number from 0 to 65535'),
    host: env.HOST?.trim() || '0.0.0.0',
    dataDir: resolve(env.HOOKLEDGER_DATA_DIR?.trim() || './data'),
    rootKey: secretValue('HOOKLEDGER_ROOT_KEY', env.HOOKLEDGER_ROOT_KEY, 24, problems),
    eventStore: read('HOOKLEDGER_EVENT_STORE', 'sqlite' as StoreKind, oneOf('HOOKLEDGER_EVENT_STORE', ['sqlite', 'esdb'], 'sqlite')),
    esdbUrl: read('HOOKLEDGER_ESDB_URL', 'esdb://localhost:2113?tls=false', (raw) => {
      if (/^esdb(\+discover)?:\/\/[^/?#\s]+/.test(raw)) return raw;
      problems.push(`HOOKLEDGER_ESDB_URL=${JSON.stringify(raw)}: must be an esdb:// or esdb+discover:// connection string`);
      return raw;
    }),
    sqliteSynchronous: read('HOOKLEDGER_SQLITE_SYNCHRONOUS', 'full' as const, oneOf('HOOKLEDGER_SQLITE_SYNCHRONOUS', ['full', 'normal'] as const, 'full')),
    allowInsecureUrls: read('HOOKLEDGER_ALLOW_INSECURE_URLS', false, (raw) => boolean(raw) ?? 'must be true or false'),
    allowedNetworks: read('HOOKLEDGER_ALLOWED_NETWORKS', [] as string[], (raw) => {
      const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = list.filter((cidr) => !isCidr(cidr));
      return bad.length ? `not a CIDR network: ${bad.join(', ')} (e.g. 127.0.0.1/32, fd00::/8)` : list;
    }),
    maxPayloadBytes: read('HOOKLEDGER_MAX_PAYLOAD_BYTES', 262_144, (raw) => integerIn(raw, 1024, 16 * 1024 * 1024) ?? 'must be a whole number of bytes from 1024 to 16777216'),
    masterKey: masterKey(env.HOOKLEDGER_MASTER_KEY, problems),
    logLevel: read('HOOKLEDGER_LOG_LEVEL', 'info' as const, oneOf('HOOKLEDGER_LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info')),
    roles: read('HOOKLEDGER_ROLES', ['api', 'worker'] as Role[], (raw) => {
      const list = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
      const bad = list.filter((r) => r !== 'api' && r !== 'worker');
      return bad.length || list.length === 0 ? 'must be a comma-separated list of api, worker' : (list as Role[]);
    }),
    metricsToken: secretValue('HOOKLEDGER_METRICS_TOKEN', env.HOOKLEDGER_METRICS_TOKEN, 16, problems),
    secretGraceMs: read('HOOKLEDGER_SECRET_GRACE', 86_400_000, (raw) => {
      const ms = parseDuration(raw);
      return ms !== null && ms <= 30 * 86_400_000 ? ms : 'must be a duration like "0s", "30m" or "24h", at most 30d';
    }),
    maxInFlight: read('HOOKLEDGER_MAX_IN_FLIGHT', 256, (raw) => integerIn(raw, 1, 10_000) ?? 'must be a whole number from 1 to 10000'),
    disableFailingAfterMs: read('HOOKLEDGER_DISABLE_FAILING_AFTER', 5 * 86_400_000, (raw) => {
      const ms = parseDuration(raw);
      return ms !== null && ms >= 1000 ? ms : 'must be a duration of at least 1s, like "5d" or "12h"';
    }),
    helperThreadNice: read('HOOKLEDGER_HELPER_THREAD_NICE', 10, (raw) => integerIn(raw, 0, 19) ?? 'must be a whole number from 0 (leave them) to 19'),
    shutdownGraceMs: read('HOOKLEDGER_SHUTDOWN_GRACE', 30_000, (raw) => {
      const ms = parseDuration(raw);
      return ms !== null && ms <= 600_000 ? ms : 'must be a duration of at most 10m, like "30s"';
    }),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function integerIn(raw: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= min && n <= max ? n : undefined;
}

function boolean(raw: string): boolean | undefined {
  const v = raw.toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return undefined;
}

function secretValue(name: string, raw: string | undefined, minLength: number, problems: string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < minLength || /\s/.test(raw)) {
    // The value itself is a secret: never echo it.
    problems.push(`${name}: must be at least ${minLength} characters without spaces`);
    return undefined;
  }
  return raw;
}

function masterKey(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (Buffer.from(raw, 'base64').length !== 32 || !/^[A-Za-z0-9+/]+=*$/.test(raw)) {
    problems.push('HOOKLEDGER_MASTER_KEY: must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)');
    return undefined;
  }
  return raw;
}

export function isCidr(value: string): boolean {
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined || !address || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const version = isIP(address);
  if (version === 0) return false;
  return Number(bits) <= (version === 4 ? 32 : 128);
}

export const CONFIG = Symbol('CONFIG');
