import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { EventStoreUnavailableError } from '../../src/event-store/event-store.port.js';
import { LEDGER_PAGE_SIZE, SqliteEventStore } from '../../src/event-store/sqlite.event-store.js';
import { WAL_CHECKPOINT_BYTES } from '../../src/event-store/sqlite-writer.js';
import { pageSizeOf } from '../support/sqlite-file.js';

const dir = mkdtempSync(join(tmpdir(), 'hookledger-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = () => ({ id: randomUUID(), type: 'Probe', data: { n: 1 }, metadata: {} });
/** The writer thread behind the store, to kill it the way a crash of the thread would. */
const writerWorker = (store: SqliteEventStore) => (store as unknown as { writer: { worker: Worker | null } }).writer.worker;

describe('the SQLite writer thread', () => {
  it('fails the batch of a thread that dies mid-commit, writes none of it, and a new thread takes the next one', async () => {
    const store = new SqliteEventStore({ file: join(dir, 'ledger.db'), synchronous: 'full' });
    try {
      await store.append('probe-1', [event()], 'no_stream');
      const worker = writerWorker(store);
      expect(worker).not.toBeNull();

      // A batch big enough to keep the thread inserting for a while; the thread dies in the middle of it.
      const blob = 'x'.repeat(1024);
      const big = Array.from({ length: 60_000 }, () => ({ ...event(), data: { blob } }));
      const inFlight = store.append('probe-2', big, 'no_stream');
      await new Promise((resolve) => setTimeout(resolve, 250));
      await worker!.terminate();
      const outcome = await inFlight.then(
        () => 'committed',
        (error: unknown) => (error instanceof EventStoreUnavailableError ? 'unavailable' : `unexpected: ${String(error)}`),
      );
      // Refused as unavailable, and all or nothing: the half-made transaction left no row.
      expect(outcome).toBe('unavailable');

      // A later append starts a new thread and commits.
      const result = await store.append('probe-3', [event()], 'no_stream');
      expect(result.nextRevision).toBe(0n);
      expect(writerWorker(store)).not.toBe(worker);
      const stored = [];
      for await (const e of store.readAll()) stored.push(e.streamName);
      expect(stored).toEqual(['probe-1', 'probe-3']);
    } finally {
      await store.close();
    }
  });

  it('reports a group commit once, with every append it held, timed on the writer thread', async () => {
    const store = new SqliteEventStore({ file: join(dir, 'timed.db'), synchronous: 'full' });
    try {
      const commits: Array<{ seconds: number; appends: number }> = [];
      store.onCommit((commit) => commits.push(commit));
      // Appended in one turn of the event loop: one transaction.
      await Promise.all(Array.from({ length: 5 }, (_, i) => store.append(`timed-${i}`, [event()], 'no_stream')));
      expect(commits).toHaveLength(1);
      expect(commits[0]!.appends).toBe(5);
      expect(commits[0]!.seconds).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('commits what was appended before close', async () => {
    const store = new SqliteEventStore({ file: join(dir, 'closing.db'), synchronous: 'full' });
    const appends = Array.from({ length: 50 }, (_, i) => store.append(`closing-${i}`, [event()], 'no_stream'));
    await store.close();
    await expect(Promise.all(appends)).resolves.toHaveLength(50);
    const reopened = new SqliteEventStore({ file: join(dir, 'closing.db'), synchronous: 'full' });
    try {
      let count = 0;
      for await (const _ of reopened.readAll()) count++;
      expect(count).toBe(50);
    } finally {
      await reopened.close();
    }
  });

  it('makes a new ledger file with its own page size, and opens a file made with another as it is', async () => {
    const fresh = join(dir, 'fresh.db');
    const store = new SqliteEventStore({ file: fresh, synchronous: 'full' });
    await store.append('paged-1', [event()], 'no_stream');
    await store.close();
    expect(LEDGER_PAGE_SIZE).not.toBe(4096);
    expect(pageSizeOf(fresh)).toBe(LEDGER_PAGE_SIZE);

    // A ledger an earlier version made with SQLite's default pages: it keeps them, and the store reads and writes it.
    const older = join(dir, 'older.db');
    const db = new Database(older);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE kept (x INTEGER)');
    db.close();
    const reopened = new SqliteEventStore({ file: older, synchronous: 'full' });
    try {
      await reopened.append('paged-2', [event()], 'no_stream');
      const streams = [];
      for await (const e of reopened.readAll()) streams.push(e.streamName);
      expect(streams).toEqual(['paged-2']);
    } finally {
      await reopened.close();
    }
    expect(pageSizeOf(older)).toBe(4096);
  });

  it('checkpoints the WAL into the ledger file every few MiB written, with its larger pages too', async () => {
    const file = join(dir, 'checkpointed.db');
    const store = new SqliteEventStore({ file, synchronous: 'full' });
    try {
      // One and a half times the checkpoint's worth of events, in appends of a hundred.
      const blob = 'x'.repeat(1024);
      const appends = Math.ceil((1.5 * WAL_CHECKPOINT_BYTES) / (100 * 1200));
      for (let i = 0; i < appends; i++) {
        await store.append(`checkpointed-${i}`, Array.from({ length: 100 }, () => ({ ...event(), data: { blob } })), 'no_stream');
      }
      // Pages reach the ledger file itself only through a checkpoint (SQLite's default, 1000 pages, would be 16 MiB here).
      expect(statSync(file).size).toBeGreaterThan(WAL_CHECKPOINT_BYTES / 2);
      expect(statSync(`${file}-wal`).size).toBeLessThan(WAL_CHECKPOINT_BYTES * 1.5);
    } finally {
      await store.close();
    }
  });
});
