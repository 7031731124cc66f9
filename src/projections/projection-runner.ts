import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AllSubscription, EVENT_STORE, EventStore, StoredEvent } from '../event-store/event-store.port.js';
import { type SqlDatabase, prepared } from '../event-store/read-model.database.js';
import { Projection } from './projection.js';

export const READ_MODEL_DB = Symbol('READ_MODEL_DB');

/** The views cannot show a change that is in the ledger (yet): answered 503, the change itself is kept. */
export class ReadModelsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReadModelsUnavailableError';
  }
}

export type RunnerStatus = 'stopped' | 'catching_up' | 'live' | 'reconnecting' | 'stalled' | 'failed';

interface Waiter {
  position: bigint;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const CHECKPOINT = 'all';
const MAX_BATCH = 2000;
/**
 * Applied batches are committed together: at most this long after the first of them... At a light
 * load every publish is a batch of its own, and a commit writes each page it touched (16 KiB) to the
 * WAL: 25 ms rather than 5 makes a fifth of the commits, and left the half-max latency's tail lower
 * (README, Performance). The views show a batch as soon as it is applied, whatever the delay.
 */
const COMMIT_AFTER_MS = 25;
/** ...or once this many events wait for the commit. */
const COMMIT_AFTER_EVENTS = 5000;

/**
 * Feeds every projection from one catch-up subscription to all events, starting after the stored
 * checkpoint. Events arriving together are applied as one batch, in a transaction that is
 * committed, with the new checkpoint, up to 25 ms later with the batches applied
 * meanwhile: the views, read through the same connection, show a batch at once, and a burst of
 * small batches costs one commit. A crash loses only what was not committed, checkpoint included,
 * and the next start applies it again from the ledger.
 * A store failure reconnects from the checkpoint; a projection that throws parks the runner
 * (status `failed`, `/ready` false) rather than skipping the event.
 */
@Injectable()
export class ProjectionRunner implements OnApplicationShutdown {
  private readonly logger = new Logger('ProjectionRunner');
  private readonly projections: Projection[] = [];
  private readonly appliedListeners: Array<(events: StoredEvent[]) => void> = [];
  private waiters: Waiter[] = [];
  private subscription: AllSubscription | null = null;
  private buffer: StoredEvent[] = [];
  private flushScheduled = false;
  private stopping = false;
  private caughtUpOnce = false;
  private loop: Promise<void> | null = null;
  status: RunnerStatus = 'stopped';
  lastError: string | null = null;
  /** Position of the last applied event: what the views show. */
  checkpoint: bigint;
  /** Position of the last committed event: what a restart would start after. */
  private committed: bigint;
  /** Events applied since the last commit, in order: applied again if the commit fails. */
  private uncommitted: StoredEvent[] = [];
  private commitTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL_DB) private readonly db: SqlDatabase,
  ) {
    const row = prepared(db, 'SELECT position FROM checkpoints WHERE name = ?').get(CHECKPOINT) as { position: string } | undefined;
    this.checkpoint = row ? BigInt(row.position) : -1n;
    this.committed = this.checkpoint;
  }

  register(projection: Projection): void {
    projection.migrate(this.db);
    this.projections.push(projection);
  }

  /** Called with each applied batch, after its transaction committed (in-process wake-ups). */
  onApplied(listener: (events: StoredEvent[]) => void): void {
    this.appliedListeners.push(listener);
  }

  private get parked(): boolean {
    return this.status === 'failed';
  }

  get caughtUp(): boolean {
    return this.caughtUpOnce && this.status === 'live';
  }

  /** Resolves the first time the read models have caught up with the ledger. */
  whenCaughtUp(): Promise<void> {
    if (this.caughtUp) return Promise.resolve();
    return new Promise((resolve) => this.caughtUpWaiters.push(resolve));
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Resolves once the views include the event at `position` (read-your-writes for the API). */
  waitFor(position: bigint | null, timeoutMs = 10_000): Promise<void> {
    if (position === null || position <= this.checkpoint) return Promise.resolve();
    if (this.status === 'failed') return Promise.reject(new ReadModelsUnavailableError(`read models are parked: ${this.lastError}`));
    if (this.status === 'stalled')
      return Promise.reject(new ReadModelsUnavailableError(`read models cannot be written: ${this.lastError}`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        position,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new ReadModelsUnavailableError(`read models did not reach position ${position} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    while (!this.stopping && !this.parked) {
      try {
        this.status = 'catching_up';
        await this.consume();
        backoffMs = 100;
      } catch (error) {
        if (this.stopping || this.parked) break;
        this.status = 'reconnecting';
        this.lastError = (error as Error).message;
        this.logger.warn({ msg: 'subscription to all events failed; reconnecting', error: this.lastError, backoffMs });
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  }

  private async consume(): Promise<void> {
    const subscription = this.store.subscribeToAll(this.checkpoint >= 0n ? { after: this.checkpoint } : {});
    this.subscription = subscription;
    subscription.caughtUp.then(
      () =>
        this.scheduleFlush(() => {
          this.caughtUpOnce = true;
          if (this.status === 'catching_up') this.status = 'live';
          const waiters = this.caughtUpWaiters;
          this.caughtUpWaiters = [];
          for (const resolve of waiters) resolve();
        }),
      () => undefined,
    );
    try {
      for await (const event of subscription) {
        if (event.position <= this.checkpoint) continue;
        this.buffer.push(event);
        if (this.buffer.length >= MAX_BATCH) this.flush();
        else this.scheduleFlush();
        if (this.status === 'failed') break;
      }
    } finally {
      this.flush();
      this.subscription = null;
      await subscription.close();
    }
  }

  private afterFlush: Array<() => void> = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private stallBackoffMs = 100;
  private caughtUpWaiters: Array<() => void> = [];

  private scheduleFlush(then?: () => void): void {
    if (then) this.afterFlush.push(then);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    // Waiting to retry a write the read-model disk refused: keep buffering until then.
    if (this.retryTimer) return;
    const batch = this.buffer.filter((e) => e.position > this.checkpoint);
    this.buffer = [];
    if (batch.length > 0 && this.status !== 'failed') {
      const last = batch[batch.length - 1]!.position;
      try {
        this.apply(batch);
      } catch (error) {
        if (isStorageFault(error)) this.stall(error as Error, batch);
        else this.park(error as Error, batch);
        return;
      }
      for (const event of batch) this.uncommitted.push(event);
      if (this.uncommitted.length >= COMMIT_AFTER_EVENTS) {
        if (!this.commit()) return;
      } else this.scheduleCommit();
      this.checkpoint = last;
      this.releaseWaiters();
      for (const listener of this.appliedListeners) listener(batch);
    }
    const callbacks = this.afterFlush;
    this.afterFlush = [];
    for (const callback of callbacks) callback();
  }

  /**
   * Applies a batch inside the open transaction. Not in a savepoint of its own: a savepoint makes
   * SQLite copy every page a batch touches first, for each of the many small batches of a light
   * load. A batch that throws rolls back the whole transaction instead (see `park` and `stall`).
   */
  private apply(batch: StoredEvent[]): void {
    if (!this.db.inTransaction) prepared(this.db, 'BEGIN').run();
    for (const projection of this.projections) projection.beginBatch?.();
    for (const event of batch) for (const projection of this.projections) projection.apply(this.db, event);
    for (const projection of this.projections) projection.endBatch?.(this.db);
  }

  private scheduleCommit(): void {
    if (this.commitTimer) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = null;
      this.commit();
    }, COMMIT_AFTER_MS);
  }

  /** Commits what was applied; false if the disk refused (then it is applied again later). */
  private commit(): boolean {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = null;
    }
    if (!this.db.inTransaction) return true;
    try {
      const last = this.uncommitted.at(-1);
      // The checkpoint is written once per commit, in the same transaction as the views it describes.
      if (last) {
        prepared(
          this.db,
          'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position',
        ).run(CHECKPOINT, last.position.toString());
      }
      prepared(this.db, 'COMMIT').run();
    } catch (error) {
      this.stall(error as Error, []);
      return false;
    }
    this.committed = this.uncommitted.at(-1)?.position ?? this.committed;
    this.uncommitted = [];
    // A stall ends with a commit the disk took, not with a batch applied in memory before it.
    if (this.status === 'stalled') {
      this.status = this.caughtUpOnce ? 'live' : 'catching_up';
      this.stallBackoffMs = 100;
      this.logger.log({ msg: 'the read-model store writes again; read models resume' });
    }
    return true;
  }

  /**
   * The read-model disk refused the write (full, read-only, busy): nothing is wrong with the
   * events, so keep them and try again with backoff; not ready meanwhile. What was applied since
   * the last commit is rolled back and applied again with them.
   */
  private stall(error: Error, batch: StoredEvent[]): void {
    this.rollback();
    this.buffer = [...this.uncommitted, ...batch, ...this.buffer];
    this.uncommitted = [];
    this.checkpoint = this.committed;
    if (this.status !== 'stalled') this.logger.error({ msg: 'the read-model store cannot write; retrying', error: error.message });
    this.status = 'stalled';
    this.lastError = error.message;
    this.rejectWaiters(`read models cannot be written: ${error.message}`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.flush();
    }, this.stallBackoffMs);
    this.stallBackoffMs = Math.min(this.stallBackoffMs * 2, 5000);
  }

  /**
   * A projection threw: the views keep every batch before this one, committed, and the runner
   * stops there. The transaction holds this batch's partial writes, so it is rolled back and
   * the batches before it, which applied cleanly, are applied again and committed.
   */
  private park(error: Error, batch: StoredEvent[]): void {
    this.rollback();
    const before = this.uncommitted;
    this.uncommitted = [];
    if (before.length > 0) {
      try {
        this.apply(before);
        this.uncommitted = before;
        this.commit();
      } catch {
        this.rollback();
        this.uncommitted = [];
      }
    }
    this.checkpoint = this.committed;
    this.status = 'failed';
    this.lastError = error.message;
    this.logger.error({
      msg: 'a projection failed; read models are parked until the cause is fixed and the service restarted',
      error: error.message,
      firstPosition: batch[0]?.position.toString(),
    });
    this.rejectWaiters(`read models are parked: ${error.message}`);
    void this.subscription?.close();
  }

  private rollback(): void {
    if (!this.db.inTransaction) return;
    try {
      prepared(this.db, 'ROLLBACK').run();
    } catch {
      // Already rolled back by SQLite itself.
    }
  }

  private rejectWaiters(message: string): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new ReadModelsUnavailableError(message));
    }
    this.waiters = [];
  }

  private releaseWaiters(): void {
    const remaining: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.position <= this.checkpoint) {
        clearTimeout(waiter.timer);
        waiter.resolve();
      } else remaining.push(waiter);
    }
    this.waiters = remaining;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.subscription?.close();
    await this.loop?.catch(() => undefined);
    this.commit();
    this.status = 'stopped';
  }
}

const STORAGE_FAULTS = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|PROTOCOL)/;

function isStorageFault(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && STORAGE_FAULTS.test(code);
}
