import { Inject, Injectable } from '@nestjs/common';
import { DeliveriesProjection } from '../../deliveries/delivery-log/deliveries.projection.js';
import { EVENT_STORE, type EventStore, type StoredEvent } from '../../event-store/event-store.port.js';
import { EventsProjection } from '../../events/event-view/events.projection.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { type BrokenLink, ChainWalk } from '../domain/chain-walk.js';
import { ledgerPages } from '../ledger-pages.js';
import { LedgerHeadsProjection } from './ledger-heads.projection.js';

const PAGE = 1000;

export type VerifyResult =
  | { ok: true; streams: number; events: number }
  | { ok: false; stream: string; revision: string; problem: BrokenLink['problem']; detail: string };

/** Checks the tamper-evidence chain of a tenant's streams (SPEC §3 Audit). */
@Injectable()
export class LedgerVerifyQuery {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly heads: LedgerHeadsProjection,
    private readonly events: EventsProjection,
    private readonly deliveries: DeliveriesProjection,
  ) {}

  async verify(tenantId: string): Promise<VerifyResult> {
    // The heads and the checkpoint change together, in the runner's transaction: read both in this
    // same turn, then walk the ledger exactly as far as the heads reach. The events and deliveries
    // views hold the heads of their streams; the ledger heads, those of every other stream.
    const through = this.runner.checkpoint;
    const heads = [...this.heads.headsOf(tenantId), ...this.events.streamHeads(tenantId), ...this.deliveries.streamHeads(tenantId)];
    const walk = new ChainWalk();
    for await (const event of this.eventsThrough(through)) {
      if (event.metadata.tenantId !== tenantId) continue;
      const broken = walk.visit(event);
      if (broken) return failed(broken);
    }
    const broken = walk.compareHeads(heads);
    return broken ? failed(broken) : { ok: true, ...walk.counts };
  }

  private async *eventsThrough(through: bigint): AsyncGenerator<StoredEvent> {
    for await (const page of ledgerPages(this.store, PAGE)) {
      for (const event of page) {
        if (event.position > through) return;
        yield event;
      }
    }
  }
}

function failed(broken: BrokenLink): VerifyResult {
  return { ok: false, stream: broken.stream, revision: broken.revision.toString(), problem: broken.problem, detail: broken.detail };
}
