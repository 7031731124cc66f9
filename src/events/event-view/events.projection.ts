import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type StoredEvent } from '../../event-store/event-store.port.js';
import { type SqlDatabase, prepared } from '../../event-store/read-model.database.js';
import { type HeadRow, headsFrom, type StreamHead, storedEventHash } from '../../ledger/hash-chain.js';
import { ProjectionRunner, READ_MODEL_DB } from '../../projections/projection-runner.js';
import { ReadModelProjection } from '../../projections/read-model-projection.js';
import { RecentCache } from '../../shared/recent-cache.js';
import { payloadJsonOf } from '../domain/event-created-json.js';
import { type DeliveriesAdded, type EventCreated, eventStream, type FanOut } from '../domain/event.events.js';

/** An event as the view holds it: everything but its data, which stays in the ledger. */
export interface EventRow {
  id: string;
  tenantId: string;
  type: string;
  orderingKey: string | null;
  createdAt: string;
  deliveries: FanOut[];
  test: boolean;
  position: bigint;
}

/** An event with its data, read from the ledger. */
export interface PublishedEvent extends EventRow {
  data: unknown;
}

/**
 * What a delivery sends of its event: the data still as the JSON text it was stored as, so the
 * webhook body is written around it without parsing it again, and a cached event is a handful of
 * flat strings rather than the tree of the published payload.
 */
export interface EventPayload {
  id: string;
  tenantId: string;
  type: string;
  createdAt: string;
  dataJson: string;
}

interface Row {
  id: string;
  tenant_id: string;
  type: string;
  ordering_key: string | null;
  created_at: string;
  deliveries: string;
  test: number;
  position: string;
}

const toEvent = (r: Row): EventRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  type: r.type,
  orderingKey: r.ordering_key,
  createdAt: r.created_at,
  deliveries: JSON.parse(r.deliveries) as FanOut[],
  test: r.test === 1,
  position: BigInt(r.position),
});

/** Each generation of the payload cache holds up to this many events and this many bytes of their JSON data. */
const RECENT = { entries: 1_500, weight: 4 * 1024 * 1024 };

/** A cached payload and how many of its event's deliveries have yet to take it. */
interface Pending {
  payload: EventPayload;
  untaken: number;
}

/**
 * Published events: the event list, and the payloads the dispatcher sends. The data itself is not
 * copied into the view: it is read from the event's ledger entry (by its position) when asked for,
 * and the payloads of events just published are kept in memory for their first attempts. Copying
 * each payload into the view cost about as much as any view of its own (README, Performance).
 */
@Injectable()
export class EventsProjection extends ReadModelProjection {
  readonly name = 'events';
  /**
   * The payloads of events just published, until each of their deliveries has taken them for its
   * first attempt (the fan-out sends them within milliseconds): an entry leaves as soon as it has
   * served, young, instead of being kept, moved to the old space and collected there. Retries and
   * replays, seconds or days later, read the view. The generations bound what deliveries that never
   * come (a paused subscription) leave behind.
   */
  private readonly recent = new RecentCache<string, Pending>(RECENT);

  constructor(
    @Inject(READ_MODEL_DB) db: SqlDatabase,
    @Inject(ProjectionRunner) private readonly projections: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {
    super(db, projections);
  }

  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        tenant_id TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
        ordering_key TEXT, created_at TEXT NOT NULL, deliveries TEXT NOT NULL, test INTEGER NOT NULL,
        position TEXT NOT NULL, seq INTEGER NOT NULL, revision INTEGER NOT NULL, last_hash TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX IF NOT EXISTS events_by_tenant_seq ON events (tenant_id, seq);
    `);
  }

  apply(db: SqlDatabase, stored: StoredEvent): void {
    if (stored.type === 'DeliveriesAdded') {
      const { data } = stored as unknown as DeliveriesAdded;
      const row = prepared(db, 'SELECT deliveries FROM events WHERE tenant_id = ? AND id = ?').get(data.tenantId, data.eventId) as
        { deliveries: string } | undefined;
      if (!row) return;
      const deliveries = [...(JSON.parse(row.deliveries) as FanOut[]), ...data.deliveries];
      prepared(db, 'UPDATE events SET deliveries = ?, revision = ?, last_hash = ? WHERE tenant_id = ? AND id = ?').run(
        JSON.stringify(deliveries),
        stored.revision,
        storedEventHash(stored),
        data.tenantId,
        data.eventId,
      );
      return;
    }
    if (stored.type !== 'EventCreated') return;
    const { data } = stored as unknown as EventCreated;
    prepared(
      db,
      `INSERT OR IGNORE INTO events (tenant_id, id, type, ordering_key, created_at, deliveries, test, position, seq, revision, last_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      data.tenantId,
      data.eventId,
      data.type,
      data.orderingKey,
      data.createdAt,
      JSON.stringify(data.deliveries),
      data.test ? 1 : 0,
      stored.position.toString(),
      Number(stored.position),
      stored.revision,
      storedEventHash(stored),
    );
    // Its deliveries are about to be sent: keep the payload for them (a rolled-back batch is applied again, the same).
    // Not while the views catch up with the ledger (a start, a rebuild): those deliveries were
    // mostly made long ago, and the few still due read their payload from the ledger.
    if (data.deliveries.length === 0 || !this.projections.caughtUp) return;
    const json = payloadJsonOf(data);
    const payload: EventPayload = { id: data.eventId, tenantId: data.tenantId, type: data.type, createdAt: data.createdAt, dataJson: json };
    this.recent.set(`${data.tenantId}/${data.eventId}`, { payload, untaken: data.deliveries.length }, json.length);
  }

  /**
   * The head of each of the tenant's event streams (the event's last ledger entry as it was
   * applied), for /v1/ledger/verify: the view holds it anyway, so the ledger heads need not.
   */
  streamHeads(tenantId: string): StreamHead[] {
    const rows = prepared(this.db, 'SELECT id AS key, revision, last_hash AS hash FROM events WHERE tenant_id = ? ORDER BY seq').all(tenantId);
    return headsFrom(rows as HeadRow[], (eventId) => eventStream(tenantId, eventId));
  }

  /** Newest first; `before` is the seq of the last row of the previous page. */
  list(tenantId: string, filter: { type?: string; from?: string; to?: string; before?: number }, limit: number): EventRow[] {
    const rows = prepared(
      this.db,
      `SELECT * FROM events WHERE tenant_id = ? AND (? IS NULL OR type = ?) AND (? IS NULL OR created_at >= ?)
         AND (? IS NULL OR created_at < ?) AND (? IS NULL OR seq < ?) ORDER BY seq DESC LIMIT ?`,
    ).all(
      tenantId,
      filter.type ?? null,
      filter.type ?? null,
      filter.from ?? null,
      filter.from ?? null,
      filter.to ?? null,
      filter.to ?? null,
      filter.before ?? null,
      filter.before ?? null,
      limit,
    ) as Row[];
    return rows.map(toEvent);
  }

  /** Every event of the tenant created in the window, oldest first. */
  *inWindow(tenantId: string, since: string, until: string | null): Generator<EventRow> {
    const statement = prepared(
      this.db,
      'SELECT * FROM events WHERE tenant_id = ? AND created_at >= ? AND (? IS NULL OR created_at < ?) ORDER BY seq',
    );
    for (const row of statement.iterate(tenantId, since, until, until) as Iterable<Row>) yield toEvent(row);
  }

  get(tenantId: string, eventId: string): EventRow | undefined {
    const row = prepared(this.db, 'SELECT * FROM events WHERE tenant_id = ? AND id = ?').get(tenantId, eventId) as Row | undefined;
    return row ? toEvent(row) : undefined;
  }

  /** The event with its data, from its ledger entry. */
  async withData(event: EventRow): Promise<PublishedEvent> {
    const { data } = await this.created(event.position);
    return { ...event, data: data.data };
  }

  /** The event as one of its deliveries sends it: from the cache of just published events, or the ledger. */
  async payload(tenantId: string, eventId: string): Promise<EventPayload | undefined> {
    const key = `${tenantId}/${eventId}`;
    const cached = this.recent.get(key);
    if (cached) {
      if (--cached.untaken <= 0) this.recent.delete(key);
      return cached.payload;
    }
    const row = prepared(this.db, 'SELECT position FROM events WHERE tenant_id = ? AND id = ?').get(tenantId, eventId) as Pick<Row, 'position'> | undefined;
    if (!row) return undefined;
    const { data } = await this.created(BigInt(row.position));
    return { id: data.eventId, tenantId: data.tenantId, type: data.type, createdAt: data.createdAt, dataJson: payloadJsonOf(data) };
  }

  private async created(position: bigint): Promise<EventCreated> {
    const stored = await this.store.readAt(position);
    // The view holds an event the ledger no longer holds there: a broken ledger, which /v1/ledger/verify names.
    if (stored?.type !== 'EventCreated') throw new Error(`the events view holds an event at ledger position ${position} that the ledger does not hold`);
    return stored as unknown as EventCreated;
  }
}
