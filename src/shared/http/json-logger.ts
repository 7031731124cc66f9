import { LoggerService } from '@nestjs/common';

const LEVELS = { debug: 10, verbose: 10, info: 20, log: 20, warn: 30, error: 40, fatal: 50 } as const;
type Level = keyof typeof LEVELS;

/**
 * Lines are written together every few milliseconds instead of one system call each (an access
 * line per request): an error or fatal line goes out at once with those before it, and whatever is
 * pending when the process exits, however it exits short of being killed.
 */
const FLUSH_AFTER_MS = 20;
const FLUSH_AT_CHARS = 64 * 1024;
let pending = '';
let timer: NodeJS.Timeout | null = null;

/** Writes the lines logged so far. */
export function flushLogs(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  if (pending === '') return;
  const text = pending;
  pending = '';
  process.stdout.write(text);
}

process.on('exit', flushLogs);

/** One line written now, after those pending: for the lines that say the service is up or going down. */
export function writeLogLine(entry: object): void {
  pending += JSON.stringify(entry) + '\n';
  flushLogs();
}

/**
 * One JSON object per line on stdout. Callers log objects with a `msg`; nothing here ever sees a
 * request header or body, so keys and secrets cannot reach the log through it.
 */
export class JsonLogger implements LoggerService {
  private readonly threshold: number;

  constructor(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
    this.threshold = LEVELS[level];
  }

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]) {
    if (LEVELS[level] < this.threshold) return;
    const context = rest.length && typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const fields = typeof message === 'object' && message !== null ? message : { msg: String(message) };
    const entry = Object.assign({ time: new Date().toISOString(), level, context }, fields);
    let line: string;
    try {
      // Without a replacer first: a replacer function makes every line several times slower to write.
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify(entry, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    }
    pending += line + '\n';
    if (LEVELS[level] >= LEVELS.error || pending.length >= FLUSH_AT_CHARS) flushLogs();
    else timer ??= setTimeout(flushLogs, FLUSH_AFTER_MS).unref();
  }
}
