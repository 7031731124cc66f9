import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WritebackPacer } from './writeback-pacer.js';

afterEach(() => vi.useRealTimers());

describe('WritebackPacer', () => {
  it('syncs every file each round, and reports a failing one without skipping the rest', async () => {
    const synced: string[] = [];
    const errors: string[] = [];
    const pacer = new WritebackPacer(['a.db', 'a.db-wal', 'b.db'], (error) => errors.push(error.message), 1000, async (file) => {
      if (file === 'a.db-wal') throw new Error('EIO on a.db-wal');
      synced.push(file);
    });
    await pacer.syncAll();
    await pacer.syncAll();
    expect(synced).toEqual(['a.db', 'b.db', 'a.db', 'b.db']);
    expect(errors).toEqual(['EIO on a.db-wal', 'EIO on a.db-wal']);
  });

  it('starts no round while one is still syncing', async () => {
    let release!: () => void;
    const calls: string[] = [];
    const pacer = new WritebackPacer(['slow.db'], () => undefined, 1000, (file) => {
      calls.push(file);
      return new Promise<void>((resolve) => (release = resolve));
    });
    const first = pacer.syncAll();
    await pacer.syncAll();
    expect(calls).toEqual(['slow.db']);
    release();
    await first;
    const third = pacer.syncAll();
    release();
    await third;
    expect(calls).toEqual(['slow.db', 'slow.db']);
  });

  it('runs a round every period once started, and none after it is stopped', async () => {
    vi.useFakeTimers();
    let rounds = 0;
    const pacer = new WritebackPacer(['x.db'], () => undefined, 1000, async () => void rounds++);
    pacer.start();
    await vi.advanceTimersByTimeAsync(3000);
    expect(rounds).toBe(3);
    pacer.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(rounds).toBe(3);
  });

  it('syncs a real file, and takes a file that does not exist (yet) as nothing to write back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookledger-writeback-'));
    try {
      writeFileSync(join(dir, 'views.db'), 'x'.repeat(10_000));
      const errors: Error[] = [];
      const pacer = new WritebackPacer([join(dir, 'views.db'), join(dir, 'views.db-wal')], (error) => errors.push(error));
      await pacer.syncAll();
      expect(errors).toEqual([]);
      const unreadable = new WritebackPacer([join(dir, 'views.db', 'below-a-file')], (error) => errors.push(error));
      await unreadable.syncAll();
      expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOTDIR']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
