import { LoggerService } from '@nestjs/common';

const LEVELS = { debug: 10, verbose: 10, info: 20, log: 20, warn: 30, error: 40, fatal: 50 } as const;
type Level = keyof typeof LEVELS;

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
    process.stdout.write(line + '\n');
  }
}
