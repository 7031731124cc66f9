import { afterEach, describe, expect, it, vi } from 'vitest';
import { JsonLogger } from './json-logger.js';

describe('JsonLogger', () => {
  afterEach(() => vi.restoreAllMocks());

  const lines = (log: (logger: JsonLogger) => void) => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    log(new JsonLogger('info'));
    return written.map((line) => JSON.parse(line) as Record<string, unknown>);
  };

  it('writes one JSON object per line with time, level and context', () => {
    const [line] = lines((logger) => logger.warn({ msg: 'hello', n: 1 }, 'Ctx'));
    expect(line).toMatchObject({ level: 'warn', context: 'Ctx', msg: 'hello', n: 1 });
    expect(typeof line!.time).toBe('string');
  });

  it('writes bigints as strings', () => {
    const [line] = lines((logger) => logger.log({ msg: 'at', position: 12345678901234567890n, nested: { revision: 3n } }));
    expect(line).toMatchObject({ msg: 'at', position: '12345678901234567890', nested: { revision: '3' } });
  });

  it('writes nothing below its level', () => {
    expect(lines((logger) => logger.debug({ msg: 'quiet' }))).toEqual([]);
  });
});
