import { Injectable } from '@nestjs/common';
import { Ledger } from '../../ledger/ledger.service.js';
import { subscriptionDecider, SubscriptionState } from '../../subscriptions/domain/subscription.decider.js';
import { SubscriptionEvent, subscriptionStream } from '../../subscriptions/domain/subscription.events.js';
import { SubscriptionsProjection } from '../../subscriptions/subscription-view/subscriptions.projection.js';
import { route, RoutingVerdict } from '../domain/routing.js';
import type { PublishedEvent } from '../event-view/events.projection.js';

export interface RoutingEntry {
  subscriptionId: string;
  matched: boolean;
  reason: Extract<RoutingVerdict, { matched: false }>['reason'] | 'paused' | null;
  detail: string | null;
  deliveryId: string | null;
}

/**
 * Why an event went, or did not go, to each subscription of its tenant — judged on each
 * subscription as its own stream stood when the event was appended (everything before the event's
 * ledger position), not as it is now.
 */
@Injectable()
export class EventRoutingQuery {
  constructor(
    private readonly ledger: Ledger,
    private readonly subscriptions: SubscriptionsProjection,
  ) {}

  async routing(event: PublishedEvent): Promise<RoutingEntry[]> {
    const delivered = new Map(event.deliveries.map((d) => [d.subscriptionId, d.deliveryId]));
    const entries: RoutingEntry[] = [];
    for (const subscriptionId of this.subscriptions.everIdsOfTenant(event.tenantId)) {
      const state = await this.stateAt(subscriptionId, event.position);
      entries.push(this.judge(subscriptionId, state, event, delivered.get(subscriptionId) ?? null));
    }
    return entries;
  }

  private judge(subscriptionId: string, state: SubscriptionState, event: PublishedEvent, deliveryId: string | null): RoutingEntry {
    const base = { subscriptionId, deliveryId };
    if (state.status === 'absent') {
      return { ...base, matched: false, reason: 'created_later', detail: 'the subscription did not exist yet when the event was published' };
    }
    if (event.test) {
      return deliveryId
        ? { ...base, matched: true, reason: null, detail: 'a test event sent to this subscription only' }
        : { ...base, matched: false, reason: 'event_type', detail: 'a test event for another subscription' };
    }
    const verdict = route(state, event);
    if (!verdict.matched) return { ...base, matched: false, reason: verdict.reason, detail: verdict.detail };
    if (state.status === 'paused') return { ...base, matched: true, reason: 'paused', detail: 'matched while paused: held until resume' };
    return { ...base, matched: true, reason: null, detail: deliveryId ? 'matched' : 'matched later (backfill pending)' };
  }

  private async stateAt(subscriptionId: string, position: bigint): Promise<SubscriptionState> {
    let state = subscriptionDecider.initialState();
    for await (const stored of this.ledger.store.readStream(subscriptionStream(subscriptionId))) {
      if (stored.position >= position) break;
      state = subscriptionDecider.evolve(state, { type: stored.type, data: stored.data } as SubscriptionEvent);
    }
    return state;
  }
}
