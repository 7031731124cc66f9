import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { GARBAGE_COLLECTOR_FLAGS } from './garbage-collector.js';

describe('garbage collector settings', () => {
  // setFlagsFromString ignores a flag V8 does not know: the node binary that runs us must know each one.
  it.each(GARBAGE_COLLECTOR_FLAGS)('%s is a flag this V8 knows', (flag) => {
    const run = spawnSync(process.execPath, [flag, '-e', '0'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
