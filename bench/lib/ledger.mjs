// Reading the embedded ledger file directly (evidence independent of the service), seeding it with
// published events and their deliveries, and the in-process store benchmark. The store and the
// hash chain come from the build (`dist/`), so they are exactly what the service runs.
import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './processes.mjs';
import { eventData } from './util.mjs';

const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);

function openReadonly(dataDir) {
  return new Database(join(dataDir, 'ledger.db'), { readonly: true, fileMustExist: true });
}

export function ledgerStats(dataDir) {
  if (!existsSync(join(dataDir, 'ledger.db'))) return { rows: 0, maxPosition: 0 };
  const db = openReadonly(dataDir);
  try {
    const row = db.prepare('SELECT COUNT(*) AS rows, COALESCE(MAX(position), 0) AS maxPosition FROM events').get();
    return { rows: Number(row.rows), maxPosition: Number(row.maxPosition) };
  } finally {
    db.close();
  }
}

/**
 * Delivery outcomes appended after `afterPosition`: how many of each, and the time of the last
 * `DeliverySucceeded` (its `succeededAt`, taken right after the receiver answered, and committed with it).
 */
export function deliveryOutcomes(dataDir, afterPosition) {
  const db = openReadonly(dataDir);
  try {
    const rows = db
      .prepare(
        `SELECT type, COUNT(*) AS n,
                MAX(CASE WHEN type = 'DeliverySucceeded' THEN json_extract(data, '$.succeededAt') END) AS lastSucceededAt
         FROM events WHERE position > ? AND type IN ('AttemptMade', 'DeliverySucceeded', 'RetryScheduled', 'DeliveryFailed', 'DeliveryCancelled')
         GROUP BY type`,
      )
      .all(afterPosition);
    const byType = Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
    const succeeded = rows.find((r) => r.type === 'DeliverySucceeded');
    return {
      attempts: byType.AttemptMade ?? 0,
      succeeded: byType.DeliverySucceeded ?? 0,
      retries: byType.RetryScheduled ?? 0,
      failed: byType.DeliveryFailed ?? 0,
      cancelled: byType.DeliveryCancelled ?? 0,
      lastSucceededAt: succeeded?.lastSucceededAt ? Date.parse(succeeded.lastSucceededAt) : null,
    };
  } finally {
    db.close();
  }
}

/** The ledger rows of one real published event with one successful delivery: templates for seeding. */
export function readTemplates(dataDir, eventId, deliveryId) {
  const db = openReadonly(dataDir);
  try {
    const rows = db
      .prepare('SELECT stream, revision, id, type, data, metadata FROM events WHERE stream LIKE ? OR stream = ? ORDER BY position')
      .all(`event-%.${eventId}`, `delivery-${deliveryId}`)
      .map((r) => ({ ...r, data: JSON.parse(r.data), metadata: JSON.parse(r.metadata) }));
    const created = rows.find((r) => r.type === 'EventCreated');
    const attempt = rows.find((r) => r.type === 'AttemptMade');
    const succeeded = rows.find((r) => r.type === 'DeliverySucceeded');
    if (!created || !attempt || !succeeded || rows.length !== 3) {
      throw new Error(`template event ${eventId}: expected EventCreated, AttemptMade, DeliverySucceeded; found ${rows.map((r) => r.type).join(', ')}`);
    }
    return { created, attempt, succeeded };
  } finally {
    db.close();
  }
}

/**
 * Appends copies of a real published event and its delivery (EventCreated; AttemptMade +
 * DeliverySucceeded) with fresh ids, times and a correct hash chain, through the store's own
 * append, until the ledger holds at least `targetRows` events. Appends issued in one turn are
 * group-committed: ~1000 ledger events per transaction. The service must be stopped.
 */
export async function seedLedger(dataDir, targetRows, templates, { synchronous = 'full' } = {}) {
  const { SqliteEventStore } = await dist('event-store/sqlite.event-store.js');
  const { eventHash } = await dist('ledger/hash-chain.js');
  const { prefixedId } = await dist('shared/domain/ids.js');
  const before = ledgerStats(dataDir).rows;
  const missing = Math.max(0, targetRows - before);
  const triples = Math.ceil(missing / 3);
  const store = new SqliteEventStore({ file: join(dataDir, 'ledger.db'), synchronous });
  const { created, attempt, succeeded } = templates;
  const templateEventId = created.data.eventId;
  const eventStreamPrefix = created.stream.slice(0, created.stream.length - templateEventId.length);
  const PER_COMMIT = 334; // 3 events each: ~1000 ledger events per transaction
  const started = performance.now();
  // Times spread over the hour before now, in order, so views see a plausible history.
  const spanMs = 3_600_000;
  const t0 = Date.now() - spanMs;
  try {
    for (let done = 0; done < triples; ) {
      const n = Math.min(PER_COMMIT, triples - done);
      const appends = [];
      const rest = [];
      for (let k = 0; k < n; k++, done++) {
        const atMs = t0 + Math.floor((done / Math.max(1, triples)) * spanMs);
        const at = new Date(atMs).toISOString();
        const eventId = prefixedId('evt', atMs, randomBytes(10));
        const deliveryId = prefixedId('dlv', atMs, randomBytes(10));
        const ev = {
          id: randomUUID(),
          type: 'EventCreated',
          data: {
            ...created.data,
            eventId,
            data: eventData(done),
            createdAt: at,
            deliveries: created.data.deliveries.map((d) => ({ ...d, deliveryId })),
          },
          metadata: { ...created.metadata, correlationId: randomUUID(), occurredAt: at, prevHash: null },
        };
        const ids = { deliveryId, eventId };
        const made = {
          id: randomUUID(),
          type: 'AttemptMade',
          data: {
            ...attempt.data,
            ...ids,
            startedAt: at,
            request: { ...attempt.data.request, headers: { ...attempt.data.request.headers, 'webhook-id': eventId, 'webhook-timestamp': String(Math.floor(atMs / 1000)) } },
          },
          metadata: { ...attempt.metadata, correlationId: deliveryId, occurredAt: at, prevHash: null },
        };
        const ok = {
          id: randomUUID(),
          type: 'DeliverySucceeded',
          data: { ...succeeded.data, ...ids, succeededAt: at },
          metadata: { ...succeeded.metadata, correlationId: deliveryId, occurredAt: at, prevHash: eventHash(made) },
        };
        appends.push(store.append(`${eventStreamPrefix}${eventId}`, [ev], 'no_stream'));
        rest.push([`delivery-${deliveryId}`, [made, ok]]);
      }
      // Same turn of the event loop as the EventCreated appends above: one transaction, events first.
      for (const [stream, events] of rest) appends.push(store.append(stream, events, 'no_stream'));
      await Promise.all(appends);
    }
  } finally {
    await store.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const after = ledgerStats(dataDir).rows;
  return { before, after, added: after - before, publishedEvents: triples, seconds, rowsPerSecond: (after - before) / seconds };
}

/**
 * Appends per second through the embedded store in this process, with the default durability
 * (synchronous=FULL, WAL): each append a new stream expecting no stream, as a publish does.
 */
export async function storeBenchmark(dir, { seconds, synchronous = 'full', log = () => undefined }) {
  const { SqliteEventStore } = await dist('event-store/sqlite.event-store.js');
  mkdirSync(dir, { recursive: true });
  const store = new SqliteEventStore({ file: join(dir, 'ledger.db'), synchronous });
  const tenantId = 'ten_01BENCHSTORE0000000000000';
  const metadata = {
    actor: { type: 'api_key', keyId: 'key_01BENCHSTORE0000000000000', name: 'bench-publisher', role: 'publisher' },
    correlationId: '00000000-0000-4000-8000-000000000000',
    tenantId,
    occurredAt: new Date().toISOString(),
    prevHash: null,
  };
  const payloads = Array.from({ length: 64 }, (_, i) => eventData(i));
  let seq = 0;
  const event = () => {
    const n = seq++;
    return {
      id: randomUUID(),
      type: 'EventCreated',
      data: {
        eventId: `evt_${String(n).padStart(26, '0')}`,
        tenantId,
        type: 'order.paid',
        data: payloads[n % payloads.length],
        idempotencyKey: null,
        orderingKey: null,
        createdAt: metadata.occurredAt,
        deliveries: [{ deliveryId: `dlv_${String(n).padStart(26, '0')}`, subscriptionId: 'sub_01BENCHSTORE0000000000000', ordered: false }],
        test: false,
      },
      metadata,
    };
  };
  const MAX_APPENDS = 5_000_000;
  async function measure(label, { perAppend, concurrency }) {
    const endAt = performance.now() + seconds * 1000;
    let appends = 0;
    let events = 0;
    const started = performance.now();
    const worker = async () => {
      while (performance.now() < endAt && appends < MAX_APPENDS) {
        const batch = Array.from({ length: perAppend }, event);
        appends++;
        await store.append(`event-${tenantId}.${batch[0].data.eventId}`, batch, 'no_stream');
        events += perAppend;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsed = (performance.now() - started) / 1000;
    const result = { label, perAppend, concurrency, appends, events, seconds: elapsed, appendsPerSecond: appends / elapsed, eventsPerSecond: events / elapsed };
    log(`  store ${label}: ${Math.round(result.eventsPerSecond)} events/s (${Math.round(result.appendsPerSecond)} appends/s)`);
    return result;
  }
  let results;
  try {
    results = {
      synchronous,
      single: await measure('1 event per append, one at a time', { perAppend: 1, concurrency: 1 }),
      singleConcurrent: await measure('1 event per append, 64 concurrent (group commit)', { perAppend: 1, concurrency: 64 }),
      hundred: await measure('100 events per append, one at a time', { perAppend: 100, concurrency: 1 }),
    };
  } finally {
    await store.close();
  }
  const rows = Array.from({ length: 100 }, () => {
    const e = event();
    return { type: e.type, data: JSON.stringify(e.data), metadata: JSON.stringify(e.metadata) };
  });
  results.sqliteAlone = await sqliteAlone(join(dir, 'alone.db'), { seconds, synchronous, rows, log });
  return results;
}

/**
 * The bound the disk and SQLite set on the store's 100-per-append figure: the same rows (serialised
 * beforehand), 100 per transaction, inserted one transaction after another on this thread, into a
 * file with the store's own schema, page size, journal and durability. No worker, no queue, no
 * serialising: what is left between this and the store's figure is the store's own cost.
 */
async function sqliteAlone(file, { seconds, synchronous, rows, log }) {
  const { SqliteEventStore } = await dist('event-store/sqlite.event-store.js');
  const { WAL_CHECKPOINT_BYTES } = await dist('event-store/sqlite-writer.js');
  await new SqliteEventStore({ file, synchronous }).close();
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round(WAL_CHECKPOINT_BYTES / db.pragma('page_size', { simple: true })))}`);
    const last = db.prepare('SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1');
    const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
    const append = db.transaction((stream) => {
      last.get(stream);
      rows.forEach((row, revision) => insert.run(stream, revision, randomUUID(), row.type, row.data, row.metadata));
    });
    const started = performance.now();
    const endAt = started + seconds * 1000;
    let appends = 0;
    while (performance.now() < endAt) append(`event-alone.${String(appends++).padStart(26, '0')}`);
    const elapsed = (performance.now() - started) / 1000;
    const result = { label: `SQLite alone, ${rows.length} rows per transaction`, perAppend: rows.length, appends, events: appends * rows.length, seconds: elapsed, appendsPerSecond: appends / elapsed, eventsPerSecond: (appends * rows.length) / elapsed };
    log(`  store bound, ${result.label}: ${Math.round(result.eventsPerSecond)} events/s (${Math.round(result.appendsPerSecond)} transactions/s)`);
    return result;
  } finally {
    db.close();
  }
}
