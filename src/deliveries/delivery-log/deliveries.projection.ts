import { Injectable } from '@nestjs/common';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { type SqlDatabase, prepared } from '../../event-store/read-model.database.js';
import type { DeliveriesAdded, EventCreated, FanOut } from '../../events/domain/event.events.js';
import { type HeadRow, headsFrom, type StreamHead, storedEventHash } from '../../ledger/hash-chain.js';
import { ReadModelProjection } from '../../projections/read-model-projection.js';
import { deliveryDecider, DeliveryState } from '../domain/delivery.decider.js';
import { type AttemptMade, DELIVERY_EVENT_TYPES, DeliveryEvent, deliveryStream, Trigger } from '../domain/delivery.events.js';

export interface DeliveryRow {
  id: string;
  tenantId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  seq: number;
  orderingKey: string | null;
  state: DeliveryState;
  /** Revision of the delivery stream's last event; -1 before the first attempt. */
  revision: number;
  lastHash: string | null;
  dueAt: number | null;
  trigger: Trigger;
  createdAt: string;
}

interface Row {
  id: string;
  tenant_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  seq: number;
  ordering_key: string | null;
  state: string;
  revision: number;
  last_hash: string | null;
  due_at: number | null;
  trigger: Trigger;
  created_at: string;
}

/** The columns a `DeliveryRow` is made of (not the log's): the scheduler reads rows by the hundred. */
const ROW_COLUMNS =
  'd.id, d.tenant_id, d.subscription_id, d.event_id, d.event_type, d.seq, d.ordering_key, d.state, d.revision, d.last_hash, d.due_at, d.trigger, d.created_at';

const INITIAL_STATE = JSON.stringify(deliveryDecider.initialState());

const toDelivery = (r: Row): DeliveryRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  subscriptionId: r.subscription_id,
  eventId: r.event_id,
  eventType: r.event_type,
  seq: r.seq,
  orderingKey: r.ordering_key,
  // A delivery not yet attempted (most rows the scheduler reads) has the initial state: no parse.
  state: r.state === INITIAL_STATE ? deliveryDecider.initialState() : (JSON.parse(r.state) as DeliveryState),
  revision: r.revision,
  lastHash: r.last_hash,
  dueAt: r.due_at,
  trigger: r.trigger,
  createdAt: r.created_at,
});

/**
 * The deliveries an `EventCreated` adds, as the view holds them before their first attempt. The
 * projection inserts these; the scheduler takes them as they are applied, without reading them back.
 */
export function fannedOut(stored: StoredEvent): DeliveryRow[] {
  const { data } = stored as unknown as EventCreated;
  return newRows({
    tenantId: data.tenantId,
    eventId: data.eventId,
    eventType: data.type,
    orderingKey: data.orderingKey,
    seq: Number(stored.position),
    at: data.createdAt,
    trigger: data.test ? 'test' : 'initial',
    deliveries: data.deliveries,
  });
}

function newRows(source: {
  tenantId: string;
  eventId: string;
  eventType: string;
  orderingKey: string | null;
  seq: number;
  at: string;
  trigger: Trigger;
  deliveries: FanOut[];
}): DeliveryRow[] {
  const dueAt = Date.parse(source.at);
  return source.deliveries.map((d) => ({
    id: d.deliveryId,
    tenantId: source.tenantId,
    subscriptionId: d.subscriptionId,
    eventId: source.eventId,
    eventType: source.eventType,
    seq: source.seq,
    orderingKey: d.ordered ? source.orderingKey : null,
    state: deliveryDecider.initialState(),
    revision: -1,
    lastHash: null,
    dueAt,
    trigger: source.trigger,
    createdAt: source.at,
  }));
}

/** A delivery's row as the batch being applied leaves it. */
interface DeliveryChange {
  state: DeliveryState;
  trigger: Trigger;
  createdAt: string;
  revision: number;
  lastHash: string | null;
  dueAt: number | null;
  updatedAt: string;
  lastAttempt: { status: number | null; error: string | null } | null;
}

export interface DeliveryLogFilter {
  subscriptionId?: string;
  eventId?: string;
  eventType?: string;
  status?: 'pending' | 'succeeded' | 'failed' | 'cancelled';
  from?: string;
  to?: string;
  before?: { seq: number; id: string };
}

/** A due row's place in the order `dueFor` reads them. */
export interface DueMark {
  dueAt: number;
  seq: number;
  id: string;
}

/** One subscription's due deliveries (parameters: subscription, now); with key ordering, the oldest open one of each key. */
const DUE = `d.subscription_id = ? AND d.due_at IS NOT NULL AND d.due_at <= ?
  AND (d.ordering_key IS NULL OR d.trigger = 'replay' OR NOT EXISTS (
    SELECT 1 FROM deliveries p WHERE p.subscription_id = d.subscription_id AND p.ordering_key = d.ordering_key
      AND p.seq < d.seq AND p.status IN ('pending', 'scheduled')))`;

const LOG_COLUMNS =
  'd.id, d.subscription_id, d.event_id, d.event_type, d.status, d.attempts, d.last_status, d.last_error, d.due_at, d.created_at, d.updated_at, d.seq';

export interface DeliveryLogRow {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  due_at: number | null;
  created_at: string;
  updated_at: string;
  seq: number;
}

/**
 * Every delivery with its decided state and stream revision: the dispatcher's queue (rows with a
 * `due_at`) and the delivery log. Fed by `EventCreated` fan-outs and the deliveries' own streams.
 */
@Injectable()
export class DeliveriesProjection extends ReadModelProjection {
  readonly name = 'deliveries';
  /** Deliveries changed by the batch being applied, written at its end. */
  private readonly changed = new Map<string, DeliveryChange>();
  /** Per subscription in this batch: a success seen, and the first failure after the last success. */
  private readonly health = new Map<string, { succeeded: boolean; failingSince: string | null }>();

  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS deliveries (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, subscription_id TEXT NOT NULL, event_id TEXT NOT NULL,
        event_type TEXT NOT NULL, seq INTEGER NOT NULL, ordering_key TEXT, status TEXT NOT NULL,
        attempts INTEGER NOT NULL, last_status INTEGER, last_error TEXT, state TEXT NOT NULL,
        revision INTEGER NOT NULL, last_hash TEXT, due_at INTEGER, trigger TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL;
      CREATE INDEX IF NOT EXISTS deliveries_due_by_subscription ON deliveries (subscription_id, due_at, seq) WHERE due_at IS NOT NULL;
      CREATE INDEX IF NOT EXISTS deliveries_by_key ON deliveries (subscription_id, ordering_key, seq) WHERE ordering_key IS NOT NULL;
      CREATE INDEX IF NOT EXISTS deliveries_log ON deliveries (tenant_id, seq DESC, id DESC);
      CREATE INDEX IF NOT EXISTS deliveries_log_by_subscription ON deliveries (subscription_id, seq DESC, id DESC);
      CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (event_id);
      CREATE TABLE IF NOT EXISTS subscription_health (subscription_id TEXT PRIMARY KEY, failing_since TEXT);
    `);
  }

  override beginBatch(): void {
    this.changed.clear();
    this.health.clear();
  }

  apply(db: SqlDatabase, stored: StoredEvent): void {
    if (stored.type === 'EventCreated') return this.fanOut(db, stored);
    if (stored.type === 'DeliveriesAdded') return this.backfilled(db, stored);
    if (!DELIVERY_EVENT_TYPES.has(stored.type)) return;
    const event = { type: stored.type, data: stored.data } as DeliveryEvent;
    const change =
      this.changed.get(event.data.deliveryId) ??
      (event.type === 'AttemptMade' && stored.revision === 0n ? this.firstAttempt(event) : this.load(db, event.data.deliveryId));
    if (!change) return;
    change.state = deliveryDecider.evolve(change.state, event);
    let dueAt: number | null = null;
    switch (event.type) {
      case 'AttemptMade':
        change.lastAttempt = { status: event.data.response?.status ?? null, error: event.data.error?.class ?? null };
        this.recordHealth(event.data.subscriptionId, event.data.outcome === 'succeeded', event.data.startedAt);
        break;
      case 'RetryScheduled':
        dueAt = Date.parse(event.data.dueAt);
        change.trigger = 'retry';
        break;
      case 'ReplayRequested':
        dueAt = Date.parse(event.data.requestedAt);
        change.trigger = 'replay';
        break;
      default:
        break;
    }
    change.dueAt = dueAt;
    change.revision = Number(stored.revision);
    change.lastHash = storedEventHash(stored);
    change.updatedAt = (stored.metadata.occurredAt as string | undefined) ?? change.createdAt;
  }

  /** A delivery's attempt and its outcome usually arrive in one batch: its row is written once. */
  override endBatch(db: SqlDatabase): void {
    const update = prepared(
      db,
      `UPDATE deliveries SET state = ?, status = ?, attempts = ?, revision = ?, last_hash = ?, due_at = ?, trigger = ?, updated_at = ?
       WHERE id = ?`,
    );
    const updateWithAttempt = prepared(
      db,
      `UPDATE deliveries SET state = ?, status = ?, attempts = ?, revision = ?, last_hash = ?, due_at = ?, trigger = ?, updated_at = ?,
       last_status = ?, last_error = ? WHERE id = ?`,
    );
    for (const [id, c] of this.changed) {
      const values = [JSON.stringify(c.state), c.state.status, c.state.attempts, c.revision, c.lastHash, c.dueAt, c.trigger, c.updatedAt];
      if (c.lastAttempt) updateWithAttempt.run(...values, c.lastAttempt.status, c.lastAttempt.error, id);
      else update.run(...values, id);
    }
    for (const [subscriptionId, health] of this.health) {
      if (health.succeeded) prepared(db, 'DELETE FROM subscription_health WHERE subscription_id = ?').run(subscriptionId);
      if (health.failingSince !== null) {
        prepared(db, 'INSERT OR IGNORE INTO subscription_health (subscription_id, failing_since) VALUES (?, ?)').run(
          subscriptionId,
          health.failingSince,
        );
      }
    }
    this.beginBatch();
  }

  private load(db: SqlDatabase, id: string): DeliveryChange | undefined {
    const row = prepared(db, 'SELECT state, trigger, created_at FROM deliveries WHERE id = ?').get(id) as
      Pick<Row, 'state' | 'trigger' | 'created_at'> | undefined;
    if (!row) return undefined;
    const change: DeliveryChange = {
      state: JSON.parse(row.state) as DeliveryState,
      trigger: row.trigger,
      createdAt: row.created_at,
      revision: -1,
      lastHash: null,
      dueAt: null,
      updatedAt: row.created_at,
      lastAttempt: null,
    };
    this.changed.set(id, change);
    return change;
  }

  /**
   * The first event of a delivery's stream finds the row as the fan-out made it: the initial state,
   * and the trigger its first attempt records. No read for the commonest case, a first attempt.
   */
  private firstAttempt(event: AttemptMade): DeliveryChange {
    const { deliveryId, trigger, startedAt } = event.data;
    const change: DeliveryChange = {
      state: deliveryDecider.initialState(),
      trigger,
      createdAt: startedAt,
      revision: -1,
      lastHash: null,
      dueAt: null,
      updatedAt: startedAt,
      lastAttempt: null,
    };
    this.changed.set(deliveryId, change);
    return change;
  }

  private fanOut(db: SqlDatabase, stored: StoredEvent): void {
    this.insertDeliveries(db, fannedOut(stored));
  }

  private insertDeliveries(db: SqlDatabase, rows: DeliveryRow[]): void {
    const insert = prepared(
      db,
      `INSERT OR IGNORE INTO deliveries (id, tenant_id, subscription_id, event_id, event_type, seq, ordering_key, status, attempts,
       state, revision, due_at, trigger, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, -1, ?, ?, ?, ?)`,
    );
    for (const d of rows) {
      insert.run(d.id, d.tenantId, d.subscriptionId, d.eventId, d.eventType, d.seq, d.orderingKey, INITIAL_STATE, d.dueAt, d.trigger, d.createdAt, d.createdAt);
    }
  }

  private backfilled(db: SqlDatabase, stored: StoredEvent): void {
    const { data } = stored as unknown as DeliveriesAdded;
    const event = prepared(db, 'SELECT type, ordering_key FROM events WHERE tenant_id = ? AND id = ?').get(data.tenantId, data.eventId) as
      { type: string; ordering_key: string | null } | undefined;
    if (!event) return;
    this.insertDeliveries(
      db,
      newRows({
        tenantId: data.tenantId,
        eventId: data.eventId,
        eventType: event.type,
        orderingKey: event.ordering_key,
        seq: Number(stored.position),
        at: data.addedAt,
        trigger: 'initial',
        deliveries: data.deliveries,
      }),
    );
  }

  /**
   * A subscription is failing from its first failed attempt after a success until its next success.
   * Gathered over the batch, in order, and written at its end.
   */
  private recordHealth(subscriptionId: string, succeeded: boolean, at: string): void {
    let health = this.health.get(subscriptionId);
    if (!health) {
      health = { succeeded: false, failingSince: null };
      this.health.set(subscriptionId, health);
    }
    if (succeeded) {
      health.succeeded = true;
      health.failingSince = null;
    } else health.failingSince ??= at;
  }

  /** The delivery log (SPEC §3): newest first; the cursor is the last row's (seq, id), so arrivals never shift a page. */
  list(tenantId: string, filter: DeliveryLogFilter, limit: number): DeliveryLogRow[] {
    const where = ['d.tenant_id = ?'];
    const params: unknown[] = [tenantId];
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (filter.subscriptionId) add('d.subscription_id = ?', filter.subscriptionId);
    if (filter.eventId) add('d.event_id = ?', filter.eventId);
    if (filter.eventType) add('d.event_type = ?', filter.eventType);
    if (filter.status)
      add(
        filter.status === 'pending' ? "d.status IN ('pending', 'scheduled')" : 'd.status = ?',
        ...(filter.status === 'pending' ? [] : [filter.status]),
      );
    if (filter.from) add('d.created_at >= ?', filter.from);
    if (filter.to) add('d.created_at < ?', filter.to);
    if (filter.before) add('(d.seq < ? OR (d.seq = ? AND d.id < ?))', filter.before.seq, filter.before.seq, filter.before.id);
    return prepared(
      this.db,
      `SELECT ${LOG_COLUMNS} FROM deliveries d WHERE ${where.join(' AND ')} ORDER BY d.seq DESC, d.id DESC LIMIT ?`,
    ).all(...params, limit) as DeliveryLogRow[];
  }

  /**
   * The head of each of the tenant's delivery streams that has one (a delivery not yet attempted
   * has no stream), for /v1/ledger/verify: the row holds its revision and hash for the next append.
   */
  streamHeads(tenantId: string): StreamHead[] {
    const rows = prepared(this.db, 'SELECT id AS key, revision, last_hash AS hash FROM deliveries WHERE tenant_id = ? AND revision >= 0 ORDER BY seq, id');
    return headsFrom(rows.all(tenantId) as HeadRow[], deliveryStream);
  }

  logEntry(id: string): DeliveryLogRow | undefined {
    return prepared(this.db, `SELECT ${LOG_COLUMNS} FROM deliveries d WHERE d.id = ?`).get(id) as DeliveryLogRow | undefined;
  }

  get(id: string): DeliveryRow | undefined {
    const row = prepared(this.db, `SELECT ${ROW_COLUMNS} FROM deliveries d WHERE d.id = ?`).get(id) as Row | undefined;
    return row ? toDelivery(row) : undefined;
  }

  /**
   * One subscription's deliveries due by `now`, oldest first (by due time, then sequence, then id),
   * read whole in one statement: the scheduler starts them from this list as slots free up. With key
   * ordering only the oldest open delivery of each key is eligible: the next waits for it to end.
   */
  dueFor(subscriptionId: string, now: number, limit: number): DeliveryRow[] {
    const rows = prepared(this.db, `SELECT ${ROW_COLUMNS} FROM deliveries d WHERE ${DUE} ORDER BY d.due_at, d.seq, d.id LIMIT ?`).all(
      subscriptionId,
      now,
      limit,
    );
    return (rows as Row[]).map(toDelivery);
  }

  /** `dueFor`, read on after `after` (a row an earlier read returned): the rows past it in the same order. */
  dueAfter(subscriptionId: string, now: number, after: DueMark, limit: number): DeliveryRow[] {
    const rows = prepared(
      this.db,
      `SELECT ${ROW_COLUMNS} FROM deliveries d WHERE ${DUE} AND (d.due_at, d.seq, d.id) > (?, ?, ?) ORDER BY d.due_at, d.seq, d.id LIMIT ?`,
    ).all(subscriptionId, now, after.dueAt, after.seq, after.id, limit);
    return (rows as Row[]).map(toDelivery);
  }

  /**
   * Whether the subscription has an open delivery with an ordering key: one that may wait, unread,
   * for the one before it to end. A subscription that is not key-ordered has them only from an
   * earlier configuration (or a replay of one).
   */
  hasOpenKeyed(subscriptionId: string): boolean {
    return (
      prepared(this.db, 'SELECT 1 FROM deliveries WHERE subscription_id = ? AND due_at IS NOT NULL AND ordering_key IS NOT NULL LIMIT 1').get(
        subscriptionId,
      ) !== undefined
    );
  }

  /**
   * Subscriptions with deliveries due by `upTo` (`after` null), or with retries falling due in
   * (after, upTo]. New deliveries and replays are due as they are applied, and the scheduler hears
   * of them then: only a retry becomes due later, with nothing applied.
   */
  subscriptionsDue(after: number | null, upTo: number): string[] {
    const rows =
      after === null
        ? prepared(this.db, 'SELECT DISTINCT subscription_id AS id FROM deliveries WHERE due_at IS NOT NULL AND due_at <= ?').all(upTo)
        : prepared(
            this.db,
            "SELECT DISTINCT subscription_id AS id FROM deliveries WHERE due_at IS NOT NULL AND due_at > ? AND due_at <= ? AND status = 'scheduled'",
          ).all(after, upTo);
    return (rows as Array<{ id: string }>).map((r) => r.id);
  }

  /** When the next delivery falls due after `now`, to set one wake-up timer. */
  nextDueAt(now: number): number | null {
    const row = prepared(this.db, 'SELECT MIN(due_at) AS next FROM deliveries WHERE due_at > ?').get(now) as { next: number | null };
    return row.next;
  }

  /**
   * Open deliveries of subscriptions that were disabled or deleted: to be cancelled. An open
   * delivery is due (its first attempt, or a retry), so the due index finds them.
   */
  orphaned(limit: number): DeliveryRow[] {
    return (
      prepared(
        this.db,
        `SELECT ${ROW_COLUMNS} FROM subscriptions s JOIN deliveries d ON d.subscription_id = s.id AND d.due_at IS NOT NULL
           WHERE s.status IN ('disabled', 'deleted') AND d.status IN ('pending', 'scheduled') LIMIT ?`,
      ).all(limit) as Row[]
    ).map(toDelivery);
  }

  /** Ids of the subscription's deliveries created in the window with one of these final statuses, oldest first. */
  idsForReplay(subscriptionId: string, since: string, until: string | null, statuses: string[]): string[] {
    const marks = statuses.map(() => '?').join(', ');
    return (
      prepared(
        this.db,
        `SELECT id FROM deliveries WHERE subscription_id = ? AND status IN (${marks}) AND created_at >= ? AND (? IS NULL OR created_at < ?)
           ORDER BY seq, id`,
      ).all(subscriptionId, ...statuses, since, until, until) as Array<{ id: string }>
    ).map((r) => r.id);
  }

  /** Subscriptions failing without a success since before `since`, still active or paused. */
  failingSince(since: string): Array<{ subscriptionId: string; tenantId: string; failingSince: string }> {
    return prepared(
      this.db,
      `SELECT h.subscription_id AS subscriptionId, s.tenant_id AS tenantId, h.failing_since AS failingSince
         FROM subscription_health h JOIN subscriptions s ON s.id = h.subscription_id
         WHERE h.failing_since <= ? AND s.status IN ('active', 'paused')`,
    ).all(since) as Array<{ subscriptionId: string; tenantId: string; failingSince: string }>;
  }
}
