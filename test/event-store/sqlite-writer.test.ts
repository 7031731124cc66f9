import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { EventStoreUnavailableError, WrongExpectedRevisionError, type StoredEvent } from '../../src/event-store/event-store.port.js';
import { LEDGER_PAGE_SIZE, SqliteEventStore } from '../../src/event-store/sqlite.event-store.js';
import { WAL_CHECKPOINT_BYTES } from '../../src/event-store/sqlite-writer.js';
import { pageSizeOf } from '../support/sqlite-file.js';

const dir = mkdtempSync(join(tmpdir(), 'hookledger-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = () => ({ id: randomUUID(), type: 'Probe', data: { n: 1 }, metadata: {} });
/** A hundred events of 2 KiB each: more JSON than the store serialises before sending a part to the writer thread. */
const large = (tag: string) => Array.from({ length: 100 }, (_, n) => ({ ...event(), data: { tag, n, blob: 'y'.repeat(2048) } }));
const streamOf = async (store: SqliteEventStore, stream: string) => {
  const out: StoredEvent[] = [];
  for await (const e of store.readStream(stream)) out.push(e);
  return out;
};
/** A store on a new file in the test folder, closed after `use`. */
async function withStore(name: string, use: (store: SqliteEventStore) => Promise<void>): Promise<void> {
  const store = new SqliteEventStore({ file: join(dir, name), synchronous: 'full' });
  try {
    await use(store);
  } finally {
    await store.close();
  }
}
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

  describe('an append whose events it serialises, sent to the thread in parts', () => {
    it('writes every event in order, and the appends of the same group commit with it', () =>
      withStore('parts.db', async (store) => {
        const events = large('parts');
        const [result, other] = await Promise.all([
          store.append('parts-1', events, 'no_stream'),
          store.append('parts-2', [event()], 'no_stream'),
        ]);
        expect(result.nextRevision).toBe(99n);
        expect(other.nextRevision).toBe(0n);
        const stored = await streamOf(store, 'parts-1');
        expect(stored.map((e) => e.id)).toEqual(events.map((e) => e.id));
        expect(stored.map((e) => (e.data as { n: number }).n)).toEqual(events.map((_, n) => n));
        expect(stored.map((e) => e.revision)).toEqual(events.map((_, n) => BigInt(n)));
        expect(stored.every((e, n) => e.position === stored[0]!.position + BigInt(n))).toBe(true);
        expect(result.position).toBe(stored[99]!.position);
      }));

    it('writes nothing twice when the same append is made again', () =>
      withStore('parts-again.db', async (store) => {
        const events = large('again');
        const first = await store.append('again-1', events, 'no_stream');
        const again = await store.append('again-1', events, 'no_stream');
        const anyAgain = await store.append('again-1', events, 'any');
        expect(again).toEqual(first);
        expect(anyAgain).toEqual(first);
        expect(await streamOf(store, 'again-1')).toHaveLength(100);
      }));

    it('refuses one whose stream moved on, writes none of it, and commits the others of its group', () =>
      withStore('parts-refused.db', async (store) => {
        await store.append('refused-1', [event()], 'no_stream');
        const [refused, other] = await Promise.allSettled([
          store.append('refused-1', large('refused'), 5n),
          store.append('refused-2', large('kept'), 'no_stream'),
        ]);
        expect(refused.status === 'rejected' && refused.reason).toBeInstanceOf(WrongExpectedRevisionError);
        expect(other.status === 'fulfilled' && other.value.nextRevision).toBe(99n);
        expect(await streamOf(store, 'refused-1')).toHaveLength(1);
        expect(await streamOf(store, 'refused-2')).toHaveLength(100);
      }));

    it('rolls back the parts already sent when a later event cannot be serialised, and the next append commits', () =>
      withStore('parts-abandoned.db', async (store) => {
        const events = large('abandoned');
        events[80] = { ...events[80]!, data: { tag: 'abandoned', n: 80, blob: 'y', count: 1n } as never };
        const [abandoned, sameGroup] = await Promise.allSettled([
          store.append('abandoned-1', events, 'no_stream'),
          store.append('abandoned-2', [event()], 'no_stream'),
        ]);
        expect(abandoned.status === 'rejected' && abandoned.reason).toBeInstanceOf(EventStoreUnavailableError);
        expect(sameGroup.status).toBe('rejected');
        expect(await streamOf(store, 'abandoned-1')).toHaveLength(0);
        expect(await streamOf(store, 'abandoned-2')).toHaveLength(0);

        const next = await store.append('abandoned-3', large('next'), 'no_stream');
        expect(next.nextRevision).toBe(99n);
        const all = [];
        for await (const e of store.readAll()) all.push(e.streamName);
        expect(new Set(all)).toEqual(new Set(['abandoned-3']));
      }));
  });

  it('stores each event with its own metadata when events of a group commit share, alternate and change metadata objects', () =>
    withStore('shared-metadata.db', async (store) => {
      const a = { actor: 'a', correlationId: 'one' };
      const b = { actor: 'b', correlationId: 'two' };
      const first = [a, a, b, a].map((metadata, n) => ({ ...event(), data: { n }, metadata }));
      const second = [b, { ...b }, a].map((metadata, n) => ({ ...event(), data: { n }, metadata }));
      await Promise.all([store.append('shared-1', first, 'no_stream'), store.append('shared-2', second, 'no_stream')]);
      // As written in the file, not as the store's in-memory tail holds them.
      const file = new Database(join(dir, 'shared-metadata.db'), { readonly: true });
      try {
        const rows = file.prepare('SELECT stream, metadata FROM events ORDER BY position').all() as Array<{ stream: string; metadata: string }>;
        expect(rows.map((r) => [r.stream, JSON.parse(r.metadata)])).toEqual([
          ...first.map((e) => ['shared-1', e.metadata]),
          ...second.map((e) => ['shared-2', e.metadata]),
        ]);
      } finally {
        file.close();
      }
    }));
});
