import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type EventStore, type StoredEvent } from '../../src/event-store/event-store.port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite.event-store.js';
import { serialisedEventHash, storedEventHash } from '../../src/ledger/hash-chain.js';
import type { CommandContext } from '../../src/ledger/ledger-context.js';
import { Ledger } from '../../src/ledger/ledger.service.js';

const dir = mkdtempSync(join(tmpdir(), 'hookledger-linked-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const context = (): CommandContext => ({
  actor: { type: 'api_key', id: 'key_1', name: 'publisher "α"', role: 'publisher', tenantId: 'tn_1' },
  correlationId: 'corr-1',
  tenantId: 'tn_1',
  now: new Date('2026-12-03T08:00:00.123Z'),
});
const events = [
  { type: 'First', data: { text: 'ünïcode \u2028 and "quotes"', n: [1, 2, { deep: null }] } },
  { type: 'Second', data: { n: 2 } },
];

interface Row {
  revision: bigint;
  id: string;
  type: string;
  data: string;
  metadata: string;
}
const rowsOf = (file: string, stream: string): Row[] => {
  const db = new Database(file, { readonly: true });
  try {
    db.defaultSafeIntegers(true);
    return db.prepare<[string], Row>('SELECT revision, id, type, data, metadata FROM events WHERE stream = ? ORDER BY revision').all(stream);
  } finally {
    db.close();
  }
};

/** Appends twice through the ledger (two events, then two more linked to the last) and returns the rows and the live events. */
async function appendThroughLedger(store: EventStore, file: string, stream: string) {
  const live: StoredEvent[] = [];
  const subscription = store.subscribeToAll();
  const reading = (async () => {
    for await (const event of subscription) {
      live.push(event);
      if (live.length === 4) return;
    }
  })();
  const ledger = new Ledger(store);
  await ledger.append(stream, events, 'no_stream', null, context());
  const rows = rowsOf(file, stream);
  const lastHash = serialisedEventHash(rows[1]!.id, rows[1]!.type, rows[1]!.data, rows[1]!.metadata);
  await ledger.append(stream, events, 1n, lastHash, context());
  await reading;
  await subscription.close();
  return { rows: rowsOf(file, stream), live };
}

describe('appends linked into the hash chain on the embedded store’s writer thread', () => {
  it('writes the metadata the ledger would, links each event to the one before, and remembers the hashes it computed', async () => {
    const file = join(dir, 'linked.db');
    const store = new SqliteEventStore({ file, synchronous: 'full' });
    expect(store.appendLinked).toBeTypeOf('function');
    try {
      const { rows, live } = await appendThroughLedger(store, file, 'linked-1');
      expect(rows.map((r) => r.revision)).toEqual([0n, 1n, 2n, 3n]);
      let prev: string | null = null;
      rows.forEach((row, i) => {
        const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
        // The stored text is JSON.stringify of the metadata, prevHash last, as the main thread's `chain` writes it.
        expect(row.metadata).toBe(JSON.stringify({ ...metadata, prevHash: prev }));
        expect(Object.keys(metadata)).toEqual(['actor', 'correlationId', 'tenantId', 'occurredAt', 'prevHash']);
        expect(metadata.prevHash).toBe(prev);
        expect(row.data).toBe(JSON.stringify(events[i % 2]!.data));
        // The hash the writer thread computed is the one the main thread computes from the stored text.
        const hash = serialisedEventHash(row.id, row.type, row.data, row.metadata);
        const seen = live[i]!;
        expect(seen.id).toBe(row.id);
        expect(seen.metadata.prevHash).toBe(prev);
        expect(JSON.stringify(seen.metadata)).toBe(row.metadata);
        expect(storedEventHash(seen)).toBe(hash);
        prev = hash;
      });
    } finally {
      await store.close();
    }
  });

  it('stores the same text as the ledger linking on its own thread, for a store without `appendLinked`', async () => {
    const linkedFile = join(dir, 'a.db');
    const plainFile = join(dir, 'b.db');
    const linked = new SqliteEventStore({ file: linkedFile, synchronous: 'full' });
    const plain = new SqliteEventStore({ file: plainFile, synchronous: 'full' });
    // The same store seen through the port without the optional method: the ledger links on the main thread.
    const withoutLinking: EventStore = new Proxy(plain, { get: (target, key) => (key === 'appendLinked' ? undefined : Reflect.get(target, key, target)) });
    try {
      const a = await appendThroughLedger(linked, linkedFile, 's');
      const b = await appendThroughLedger(withoutLinking, plainFile, 's');
      // Ids are random: compare everything else, and the links relative to each file's own hashes.
      const shape = (rows: Row[]) => {
        const hashes = rows.map((r) => serialisedEventHash(r.id, r.type, r.data, r.metadata));
        return rows.map((r, i) => {
          const metadata = JSON.parse(r.metadata) as Record<string, unknown>;
          return { type: r.type, data: r.data, metadata: { ...metadata, prevHash: metadata.prevHash === null ? null : hashes.indexOf(metadata.prevHash as string) === i - 1 } };
        });
      };
      expect(shape(a.rows)).toEqual(shape(b.rows));
      expect(a.rows.map((r) => r.metadata.length)).toEqual(b.rows.map((r) => r.metadata.length));
    } finally {
      await linked.close();
      await plain.close();
    }
  });

  it('refuses a linked append at the wrong revision and writes nothing', async () => {
    const file = join(dir, 'conflict.db');
    const store = new SqliteEventStore({ file, synchronous: 'full' });
    try {
      const ledger = new Ledger(store);
      await ledger.append('c', events, 'no_stream', null, context());
      await expect(ledger.append('c', events, 'no_stream', null, context())).rejects.toThrow(/expected revision/);
      expect(rowsOf(file, 'c')).toHaveLength(2);
    } finally {
      await store.close();
    }
  });
});
