import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CONFIG, type Config } from '../../config/config.js';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { SubscriptionStore } from '../../subscriptions/subscription-store.js';
import { SubscriptionRow, SubscriptionsProjection } from '../../subscriptions/subscription-view/subscriptions.projection.js';
import { DeliveriesProjection, DeliveryRow, type DueMark, fannedOut } from '../delivery-log/deliveries.projection.js';
import { AttemptRunner } from './attempt-runner.js';
import { laneDepth, nextPace, queueShare } from './lane-depth.js';
import type { SendAnswer } from './sending-thread.js';

const MAX_TIMER_MS = 60_000;
/** Due ids a lane reads past its free slots: a refill from memory for this many starts. */
const SPARE_CANDIDATES = 300;
/** Events after which a lane's remembered candidates may be wrong: read the view again. */
const INVALIDATES_CANDIDATES: ReadonlySet<string> = new Set([
  'SubscriptionUpdated',
  'SubscriptionPaused',
  'SubscriptionResumed',
  'SubscriptionDisabled',
  'SubscriptionDeleted',
  'DeliveryCancelled',
  'ReplayRequested',
]);
/** Changes after which the attempts a subscription has queued on the sending thread, built before them, must not go out. */
const WITHDRAWS_QUEUED: ReadonlySet<string> = new Set([
  'SubscriptionUpdated',
  'SubscriptionPaused',
  'SubscriptionDisabled',
  'SubscriptionDeleted',
  'SubscriptionSecretRotated',
]);
/** Outcomes of an attempt: they make nothing new due, except the next of a key in a key-ordered lane. */
const ENDS_ATTEMPT: ReadonlySet<string> = new Set(['AttemptMade', 'DeliverySucceeded', 'DeliveryFailed']);

/**
 * Fires what is due. The ledger's `RetryScheduled` events are the record; the deliveries view is
 * the due list; this loop only looks at it when something changed (an applied batch, a finished
 * attempt) or when the earliest due time comes. Caps: in flight overall, per subscription, and
 * an optional rate per subscription.
 */
@Injectable()
export class DeliveryScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryScheduler');
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Deliveries whose attempt is appended but not yet in the view: ledger position and subscription by delivery id. */
  private readonly appended = new Map<string, { position: bigint; subscriptionId: string }>();
  /** How many of those each subscription has: the rows its lane will find still due in the view. */
  private readonly appendedPerSubscription = new Map<string, number>();
  private readonly perSubscription = new Map<string, number>();
  /** Per subscription, how long its receiver takes to answer (smoothed, ms): it sizes the lane's queue on the sending thread. */
  private readonly pace = new Map<string, number>();
  private readonly rateWindows = new Map<string, { second: number; count: number }>();
  private pumpScheduled = false;
  private readonly lanes = new Set<string>();
  /** Per lane, the due deliveries to start next: rows fanned out in memory, or read from the view. */
  private readonly candidates = new Map<string, DeliveryRow[]>();
  /**
   * Lanes whose candidates, with the rows taken (in flight or appended), are all the due rows the
   * view holds for them: deliveries fanned out to such a lane join its candidates as they are
   * applied, without asking the view. Anything else that may make rows due takes a lane out of it.
   */
  private readonly complete = new Set<string>();
  /**
   * Per lane (not key-ordered), the last row its reads of the view returned. Every due row of the
   * lane up to it is among the candidates, taken, or no longer due, so the next read goes on after
   * it instead of reading again what was started since. Anything that may make a row up to it due
   * again (a retry, a replay, an attempt withdrawn or not recorded, a change to the subscription)
   * clears it through `reread`, and the next read starts from the beginning.
   */
  private readonly readTo = new Map<string, DueMark>();
  /**
   * Lanes known to hold no open delivery with an ordering key. Only those keep a mark: such a
   * delivery may wait, unread, for the one before it, and a read would pass over it.
   */
  private readonly unkeyed = new Set<string>();
  private scannedUpTo: number | null = null;
  /** Whether the next pump asks the view what fell due; and the earliest due time it gave last. */
  private lookForDue = true;
  private nextDue: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private healthTimer: NodeJS.Timeout | null = null;
  private started = false;
  private stopping = false;
  private orphansScheduled = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly runner: ProjectionRunner,
    private readonly deliveries: DeliveriesProjection,
    private readonly subscriptions: SubscriptionsProjection,
    private readonly subscriptionStore: SubscriptionStore,
    private readonly attempts: AttemptRunner,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.roles.includes('worker')) return;
    this.runner.onApplied((batch) => this.onApplied(batch));
    // A view still catching up could send what the ledger already finished: wait for it.
    void this.runner.whenCaughtUp().then(() => {
      if (this.stopping) return;
      this.started = true;
      this.cancelOrphans();
      this.wake();
      const every = Math.max(200, Math.min(60_000, Math.floor(this.config.disableFailingAfterMs / 4)));
      this.healthTimer = setInterval(() => void this.disableFailing(), every);
    });
  }

  private onApplied(batch: StoredEvent[]): void {
    for (const [id, { position, subscriptionId }] of this.appended) {
      if (position > this.runner.checkpoint) continue;
      this.appended.delete(id);
      const left = (this.appendedPerSubscription.get(subscriptionId) ?? 1) - 1;
      if (left > 0) this.appendedPerSubscription.set(subscriptionId, left);
      else this.appendedPerSubscription.delete(subscriptionId);
    }
    if (!this.started) return;
    let orphansPossible = false;
    for (const stored of batch) {
      if (stored.type === 'EventCreated') {
        for (const row of fannedOut(stored)) this.arrived(row);
        continue;
      }
      const data = stored.data as { subscriptionId?: string; deliveries?: Array<{ subscriptionId: string }> };
      if (data.deliveries) for (const d of data.deliveries) this.reread(d.subscriptionId);
      else if (data.subscriptionId) {
        if (INVALIDATES_CANDIDATES.has(stored.type)) {
          this.candidates.delete(data.subscriptionId);
          // A new configuration or a replay may bring back deliveries with ordering keys.
          this.unkeyed.delete(data.subscriptionId);
        }
        if (WITHDRAWS_QUEUED.has(stored.type)) {
          this.attempts.withdraw(data.subscriptionId);
          // It may answer from another address now, or not at all: its pace is learnt again.
          this.pace.delete(data.subscriptionId);
        }
        if (!ENDS_ATTEMPT.has(stored.type) || this.subscriptions.find(data.subscriptionId)?.config.ordering === 'key') {
          this.reread(data.subscriptionId);
        }
      }
      if (stored.type === 'RetryScheduled') this.lookForDue = true;
      if (stored.type === 'SubscriptionDisabled' || stored.type === 'SubscriptionDeleted') orphansPossible = true;
    }
    if (orphansPossible) this.cancelOrphans();
    this.wake();
  }

  wake(): void {
    if (this.pumpScheduled || !this.started || this.stopping) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** The lane may have due rows its candidates do not hold: its next pump asks the view. */
  private reread(subscriptionId: string): void {
    this.lanes.add(subscriptionId);
    this.complete.delete(subscriptionId);
    this.readTo.delete(subscriptionId);
  }

  /**
   * A delivery just fanned out. A complete lane takes it as a candidate. A lane that reads on from a
   * mark finds it in its next read if it comes after the mark; one that comes before (published
   * earlier, committed later) joins the candidates at once, since no read will return it. Any other
   * lane reads the view again.
   */
  private arrived(row: DeliveryRow): void {
    const id = row.subscriptionId;
    const queue = this.candidates.get(id);
    if (row.orderingKey !== null) return this.reread(id);
    const mark = this.readTo.get(id);
    if (this.complete.has(id) && (queue?.length ?? 0) < SPARE_CANDIDATES) {
      this.candidate(id, queue, row);
      // A complete lane's view holds nothing due past its candidates: the mark may move to the new one.
      if (mark && isPast(row, mark)) this.readTo.set(id, markOf(row));
      return;
    }
    if (!mark) return this.reread(id);
    this.complete.delete(id);
    this.lanes.add(id);
    if (!isPast(row, mark)) this.candidate(id, queue, row);
  }

  private candidate(id: string, queue: DeliveryRow[] | undefined, row: DeliveryRow): void {
    if (queue) queue.push(row);
    else this.candidates.set(id, [row]);
    this.lanes.add(id);
  }

  /** Subscriptions whose retries fell due since the last look join the lanes. */
  private discover(now: number): void {
    for (const id of this.deliveries.subscriptionsDue(this.scannedUpTo, now)) this.reread(id);
    this.scannedUpTo = now;
  }

  /**
   * The view is asked for retries falling due only when one may have: at the start, after a retry
   * was scheduled, and once the earliest due time it gave last has come.
   */
  private pump(): void {
    const now = Date.now();
    const look = this.lookForDue || (this.nextDue !== null && now >= this.nextDue);
    if (look) this.discover(now);
    for (const id of this.lanes) {
      if (this.inFlight.size >= this.config.maxInFlight) break;
      this.pumpLane(id, now);
    }
    if (look) {
      this.nextDue = this.deliveries.nextDueAt(now);
      this.lookForDue = false;
    }
    if (this.nextDue !== null) this.setTimer(this.nextDue, now);
  }

  /**
   * A lane is a subscription that may have due work. It keeps a short list of due deliveries read
   * from the view (candidates), so a freed slot is refilled from memory; the view is asked again
   * only when the list runs short, and then for no more than the slots, the rows already in flight
   * (which still look due) and the next few. A lane whose due rows are all taken leaves the set
   * until new work for it is applied or falls due. Key-ordered lanes keep no spare candidates: the
   * next of a key becomes eligible only when the one before it ends.
   */
  private pumpLane(id: string, now: number): void {
    const subscription = this.subscriptions.find(id);
    if (!subscription || subscription.status !== 'active') {
      this.lanes.delete(id);
      this.candidates.delete(id);
      this.complete.delete(id);
      this.readTo.delete(id);
      this.unkeyed.delete(id);
      return;
    }
    const busy = this.perSubscription.get(id) ?? 0;
    let free = Math.min(this.handedOver(subscription) - busy, this.config.maxInFlight - this.inFlight.size);
    if (free <= 0) return;
    // The lane's own list holds nothing in flight: a candidate leaves it when it starts, and a list
    // read from the view leaves out what is taken. It is not copied per call (it is up to a few
    // hundred long, and this runs once per attempt); the loop below still passes over a taken one.
    let queue = this.candidates.get(id) ?? [];
    let exhausted = this.complete.has(id);
    if (queue.length < free && !exhausted) {
      const keyed = subscription.config.ordering === 'key';
      const mark = keyed ? undefined : this.readTo.get(id);
      let due: DeliveryRow[];
      let limit: number;
      if (mark) {
        // What is in flight or appended was read before the mark: the rows past it are all new to the lane.
        limit = free - queue.length + SPARE_CANDIDATES;
        due = this.deliveries.dueAfter(id, now, mark, limit);
        const fresh = due.filter((row) => !this.taken(row.id));
        queue = queue.length === 0 ? fresh : queue.concat(fresh);
      } else {
        // The view still shows as due what is in flight and what is appended but not applied: ask past those.
        limit = free + busy + (this.appendedPerSubscription.get(id) ?? 0) + (keyed ? 0 : SPARE_CANDIDATES);
        due = this.deliveries.dueFor(id, now, limit);
        queue = due.filter((row) => !this.taken(row.id));
      }
      exhausted = due.length < limit;
      if (exhausted) this.complete.add(id);
      const last = due[due.length - 1];
      if (!keyed && last && this.holdsNoKeyed(id)) this.readTo.set(id, markOf(last));
    }
    while (free > 0 && queue.length > 0) {
      const delivery = queue[0]!;
      if (this.taken(delivery.id)) {
        queue.shift();
        continue;
      }
      if (!this.takeRateToken(subscription, now)) break;
      queue.shift();
      this.start(delivery, subscription);
      free--;
    }
    if (queue.length > 0) this.candidates.set(id, queue);
    else {
      this.candidates.delete(id);
      if (exhausted) this.lanes.delete(id);
    }
  }

  private holdsNoKeyed(id: string): boolean {
    if (this.unkeyed.has(id)) return true;
    if (this.deliveries.hasOpenKeyed(id)) return false;
    this.unkeyed.add(id);
    return true;
  }

  private handedOver(subscription: SubscriptionRow): number {
    const { maxConcurrency, rateLimitPerSecond, ordering } = subscription.config;
    const queues = rateLimitPerSecond === null && ordering !== 'key';
    return laneDepth({ maxConcurrency, queues }, this.pace.get(subscription.id) ?? null, queueShare(this.config.maxInFlight, this.lanes.size));
  }

  /** In flight, or its attempt appended and not yet in the view (which still shows it as due). */
  private taken(deliveryId: string): boolean {
    return this.inFlight.has(deliveryId) || this.appended.has(deliveryId);
  }

  /**
   * The subscription's slot is held while the request is queued or at the receiver; the global one
   * until the attempt is recorded. Until the view holds what was appended, the row still looks due:
   * the append is remembered so the next pump skips it. A withdrawn request was never sent: its lane
   * reads the view again, and a subscription that is gone has its open deliveries cancelled.
   */
  private start(delivery: DeliveryRow, subscription: SubscriptionRow): void {
    this.perSubscription.set(subscription.id, (this.perSubscription.get(subscription.id) ?? 0) + 1);
    let slotHeld = true;
    const releaseSlot = (answer?: SendAnswer) => {
      if (!slotHeld) return;
      slotHeld = false;
      if (answer && answer.kind !== 'withdrawn') this.pace.set(subscription.id, nextPace(this.pace.get(subscription.id) ?? null, answer.durationMs));
      const left = (this.perSubscription.get(subscription.id) ?? 1) - 1;
      if (left > 0) this.perSubscription.set(subscription.id, left);
      else this.perSubscription.delete(subscription.id);
      // Refill the slot at once from the lane's candidates, without waiting for a pump.
      if (!this.stopping && this.started && this.lanes.has(subscription.id)) this.pumpLane(subscription.id, Date.now());
    };
    const run = this.attempts
      .run(delivery, subscription, releaseSlot)
      .then(({ position, withdrawn }) => {
        if (withdrawn) return this.withdrawn(subscription.id);
        // Nothing recorded: the row may still be due, and the lane's next read must not pass over it.
        if (position === null) return this.reread(subscription.id);
        if (position <= this.runner.checkpoint) return;
        const known = this.appended.get(delivery.id);
        if (known) known.position = position > known.position ? position : known.position;
        else {
          this.appended.set(delivery.id, { position, subscriptionId: subscription.id });
          this.appendedPerSubscription.set(subscription.id, (this.appendedPerSubscription.get(subscription.id) ?? 0) + 1);
        }
      })
      .catch(async (error: Error) => {
        this.logger.error({ msg: 'attempt failed to record; it will be retried', deliveryId: delivery.id, error: error.message });
        // Hold it a moment so a store outage does not turn into a tight loop of sends.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        // It left the lane's candidates when it started, and may have been the last the view held for it.
        this.reread(subscription.id);
      })
      .finally(() => {
        this.inFlight.delete(delivery.id);
        releaseSlot();
        this.wake();
      });
    this.inFlight.set(delivery.id, run);
  }

  private withdrawn(subscriptionId: string): void {
    this.reread(subscriptionId);
    const status = this.subscriptions.find(subscriptionId)?.status;
    if ((status === 'disabled' || status === 'deleted') && !this.orphansScheduled) {
      this.orphansScheduled = true;
      setImmediate(() => {
        this.orphansScheduled = false;
        this.cancelOrphans();
      });
    }
  }

  /** A fixed one-second window per subscription; a refused delivery is looked at again next second. */
  private takeRateToken(subscription: SubscriptionRow, now: number): boolean {
    const limit = subscription.config.rateLimitPerSecond;
    if (limit === null) return true;
    const second = Math.floor(now / 1000);
    const window = this.rateWindows.get(subscription.id);
    if (!window || window.second !== second) {
      this.rateWindows.set(subscription.id, { second, count: 1 });
      return true;
    }
    if (window.count >= limit) {
      this.setTimer((second + 1) * 1000, now);
      return false;
    }
    window.count += 1;
    return true;
  }

  private setTimer(at: number, now: number): void {
    if (this.stopping || (this.timer && this.timerAt <= at)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.wake();
    }, Math.min(Math.max(at - now, 0), MAX_TIMER_MS));
  }

  /** Open deliveries of disabled or deleted subscriptions are cancelled, each with a record. */
  private cancelOrphans(): void {
    const orphans = this.deliveries.orphaned(500).filter((d) => !this.inFlight.has(d.id));
    if (orphans.length === 0) return;
    void Promise.all(
      orphans.map((delivery) => {
        const subscription = this.subscriptions.find(delivery.subscriptionId);
        const reason = subscription?.status === 'deleted' ? 'subscription deleted' : `subscription disabled (${subscription?.disabledReason ?? 'unknown'})`;
        return this.attempts.cancel(delivery, reason).then(({ position }) => this.runner.waitFor(position)).catch((error: Error) =>
          this.logger.error({ msg: 'could not cancel a delivery', deliveryId: delivery.id, error: error.message }),
        );
      }),
    ).then(() => {
      if (orphans.length === 500) this.cancelOrphans();
    });
  }

  private async disableFailing(): Promise<void> {
    const since = new Date(Date.now() - this.config.disableFailingAfterMs).toISOString();
    for (const failing of this.deliveries.failingSince(since)) {
      try {
        await this.subscriptionStore.decide(
          {
            type: 'DisableSubscription',
            subscriptionId: failing.subscriptionId,
            tenantId: failing.tenantId,
            at: new Date().toISOString(),
            reason: 'failing',
            detail: `every attempt failed since ${failing.failingSince}`,
          },
          { actor: { type: 'system', reason: 'failing endpoint' }, correlationId: failing.subscriptionId, tenantId: failing.tenantId, now: new Date() },
        );
      } catch (error) {
        this.logger.error({ msg: 'could not disable a failing subscription', subscriptionId: failing.subscriptionId, error: (error as Error).message });
      }
    }
  }

  /** SIGTERM: take nothing new, let what is in flight finish and be recorded, within the grace period. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.attempts.withdraw(null);
    if (this.inFlight.size === 0) return;
    this.logger.log({ msg: 'waiting for attempts in flight', count: this.inFlight.size });
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), new Promise((r) => setTimeout(r, this.config.shutdownGraceMs))]);
  }
}

function markOf(row: DeliveryRow): DueMark {
  return { dueAt: row.dueAt!, seq: row.seq, id: row.id };
}

/** Whether the row comes after the mark in the order the view's due rows are read. */
function isPast(row: DeliveryRow, mark: DueMark): boolean {
  const dueAt = row.dueAt!;
  if (dueAt !== mark.dueAt) return dueAt > mark.dueAt;
  if (row.seq !== mark.seq) return row.seq > mark.seq;
  return row.id > mark.id;
}
