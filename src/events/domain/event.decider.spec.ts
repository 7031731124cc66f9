import { describe, it } from 'vitest';
import { specFor } from '../../../test/support/given-when-then.js';
import { EventCommand, eventDecider } from './event.decider.js';
import { EventStreamEvent } from './event.events.js';

const given = specFor(eventDecider);
const at = '2026-01-01T00:00:00.000Z';
const created: EventStreamEvent = {
  type: 'EventCreated',
  data: {
    eventId: 'evt_1', tenantId: 'ten_1', type: 'a.b', data: {}, idempotencyKey: null, orderingKey: null, createdAt: at, test: false,
    deliveries: [{ deliveryId: 'dlv_1', subscriptionId: 'sub_1', ordered: false }],
  },
};
const add = (subscriptionId: string, tenantId = 'ten_1'): EventCommand => ({
  type: 'AddDelivery', eventId: 'evt_1', tenantId, delivery: { deliveryId: 'dlv_2', subscriptionId, ordered: false }, jobId: 'job_1', at,
});

describe('event decider', () => {
  it('adds a delivery for a subscription the event never went to', () =>
    given([created]).when(add('sub_2')).then([
      { type: 'DeliveriesAdded', data: { eventId: 'evt_1', tenantId: 'ten_1', deliveries: [{ deliveryId: 'dlv_2', subscriptionId: 'sub_2', ordered: false }], reason: 'backfill', jobId: 'job_1', addedAt: at } },
    ]));
  it('never fans out twice to one subscription', () => {
    given([created]).when(add('sub_1')).then([]);
    const added: EventStreamEvent = { type: 'DeliveriesAdded', data: { eventId: 'evt_1', tenantId: 'ten_1', deliveries: [{ deliveryId: 'dlv_2', subscriptionId: 'sub_2', ordered: false }], reason: 'backfill', jobId: 'job_1', addedAt: at } };
    given([created, added]).when(add('sub_2')).then([]);
  });
  it("answers not found for a missing event or another tenant's", () => {
    given([]).when(add('sub_2')).thenThrows('EVENT.NOT_FOUND');
    given([created]).when(add('sub_2', 'ten_2')).thenThrows('EVENT.NOT_FOUND');
  });
});
