import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/event-store/event-store.port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite.event-store.js';

const dir = mkdtempSync(join(tmpdir(), 'hookledger-tail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tailOf = (store: SqliteEventStore) => (store as unknown as { tail: StoredEvent[] }).tail;

describe('the SQLite store’s in-memory tail', () => {
  it('keeps only what a subscriber has yet to take, and a subscriber left behind still gets every event in order', async () => {
    const store = new SqliteEventStore({ file: join(dir, 'ledger.db'), synchronous: 'normal' });
    const live = store.subscribeToAll();
    const seen: bigint[] = [];
    const following = (async () => {
      for await (const event of live) seen.push(event.position);
    })();
    try {
      const total = 3000;
      for (let n = 0; n < total; n += 100) {
        const batch = Array.from({ length: 100 }, (_, i) => ({ id: randomUUID(), type: 'Counted', data: { n: n + i }, metadata: {} }));
        await store.append(`counted-${n}`, batch, 'no_stream');
        await new Promise((resolve) => setImmediate(resolve));
      }
      await expect.poll(() => seen.length, { timeout: 5000 }).toBe(total);
      // The live subscriber took everything: what is left is at most the untrimmed few and one append, not thousands.
      expect(tailOf(store).length).toBeLessThanOrEqual(116);

      // A subscriber that starts from the beginning now reads the file, then the tail: all, in order.
      const late = store.subscribeToAll();
      const lateSeen: bigint[] = [];
      for await (const event of late) {
        lateSeen.push(event.position);
        if (lateSeen.length === total) break;
      }
      await late.close();
      expect(lateSeen).toEqual(seen);
      expect(new Set(seen).size).toBe(total);
    } finally {
      await live.close();
      await following;
      await store.close();
    }
  });

  it('holds back for a subscriber that has not taken its events, up to its limit', async () => {
    const store = new SqliteEventStore({ file: join(dir, 'ledger-2.db'), synchronous: 'normal' });
    const idle = store.subscribeToAll();
    try {
      for (let n = 0; n < 30; n++) {
        const batch = Array.from({ length: 100 }, (_, i) => ({ id: randomUUID(), type: 'Counted', data: { n: n * 100 + i }, metadata: {} }));
        await store.append(`counted-${n}`, batch, 'no_stream');
      }
      expect(tailOf(store).length).toBe(2000);
      const positions: bigint[] = [];
      for await (const event of idle) {
        positions.push(event.position);
        if (positions.length === 3000) break;
      }
      expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
      expect(new Set(positions).size).toBe(3000);
    } finally {
      await idle.close();
      await store.close();
    }
  });
});
