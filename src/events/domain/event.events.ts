import type { DomainEvent } from '../../shared/domain/decider.js';

export interface FanOut {
  deliveryId: string;
  subscriptionId: string;
  /** The subscription delivered this key's events one at a time when the event was published. */
  ordered: boolean;
}

export type EventCreated = DomainEvent<
  'EventCreated',
  {
    eventId: string;
    tenantId: string;
    type: string;
    data: unknown;
    idempotencyKey: string | null;
    orderingKey: string | null;
    createdAt: string;
    /** The fan-out decision, made once at publish time and recorded with the event. */
    deliveries: FanOut[];
    /** A `webhook.test` event sent to one subscription. */
    test: boolean;
  }
>;

/** Deliveries added to an event after it was published: a backfill for a subscription created later. */
export type DeliveriesAdded = DomainEvent<
  'DeliveriesAdded',
  { eventId: string; tenantId: string; deliveries: FanOut[]; reason: 'backfill'; jobId: string; addedAt: string }
>;

export type EventStreamEvent = EventCreated | DeliveriesAdded;

export const eventStream = (tenantId: string, eventId: string) => `event-${tenantId}.${eventId}`;
export const isEventStream = (stream: string) => stream.startsWith('event-');

export const TEST_EVENT_TYPE = 'webhook.test';
/** Operational events hookledger publishes itself (SPEC §8); they never trigger themselves. */
export const OPERATIONAL_PREFIX = 'hookledger.';
