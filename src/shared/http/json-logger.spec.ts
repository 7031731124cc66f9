import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushLogs, JsonLogger, writeLogLine } from './json-logger.js';

describe('JsonLogger', () => {
  afterEach(() => vi.restoreAllMocks());

  const lines = (log: (logger: JsonLogger) => void) => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    log(new JsonLogger('info'));
    flushLogs();
    return written.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line) as Record<string, unknown>);
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

  it('writes the lines of a few milliseconds in one write, in order; an error goes out at once with those before it', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), true));
    const logger = new JsonLogger('info');
    logger.log({ msg: 'one' });
    logger.log({ msg: 'two' });
    expect(writes).toEqual([]);
    await vi.waitFor(() => expect(writes).toHaveLength(1));
    expect(writes[0]!.split('\n').filter(Boolean).map((line) => JSON.parse(line).msg)).toEqual(['one', 'two']);

    logger.log({ msg: 'three' });
    logger.error({ msg: 'broken' });
    expect(writes).toHaveLength(2);
    expect(writes[1]!.split('\n').filter(Boolean).map((line) => JSON.parse(line).msg)).toEqual(['three', 'broken']);
  });

  it('writes a line of its own at once, after the lines pending', () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), true));
    new JsonLogger('info').log({ msg: 'starting' });
    writeLogLine({ msg: 'listening' });
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n').filter(Boolean).map((line) => JSON.parse(line).msg)).toEqual(['starting', 'listening']);
  });

  it('writes nothing below its level', () => {
    expect(lines((logger) => logger.debug({ msg: 'quiet' }))).toEqual([]);
  });
});
