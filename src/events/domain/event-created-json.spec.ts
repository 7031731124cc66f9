import { describe, expect, it } from 'vitest';
import { EVERY_MEMBER_WRITTEN, payloadJsonOf, serialiseEventCreated } from './event-created-json.js';
import type { EventCreated } from './event.events.js';

/** The literal as the publisher makes it, member for member and in its order. */
function created(data: unknown, extra: Partial<EventCreated['data']> = {}): EventCreated['data'] {
  return {
    eventId: 'evt_01J0000000000000000000000',
    tenantId: 'ten_01J0000000000000000000000',
    type: 'order.paid',
    data,
    idempotencyKey: null,
    orderingKey: null,
    createdAt: '2030-01-01T00:00:00.000Z',
    deliveries: [{ deliveryId: 'dlv_1', subscriptionId: 'sub_1', ordered: false }],
    test: false,
    ...extra,
  };
}

const PAYLOADS: unknown[] = [
  { order: 'ord_1', amount: { value: 12999, currency: 'EUR' }, items: [{ sku: 'A', quantity: 2 }], note: '' },
  { quote: 'say "hi"\\n', unicode: 'Grüße, 東京 🚀', control: '\u0001\t', '"key"': null, nested: [[[]], {}] },
  'just a string',
  42.5,
  null,
  true,
  [],
  {},
];

describe('EventCreated JSON with the payload written in', () => {
  it('is the text JSON.stringify makes of the same event, whatever the payload', () => {
    for (const payload of PAYLOADS) {
      const data = created(payload);
      expect(serialiseEventCreated(data, JSON.stringify(payload))).toBe(JSON.stringify(data));
    }
    const keyed = created({ n: 1 }, { idempotencyKey: 'id-1', orderingKey: 'customer "7"', test: true, deliveries: [] });
    expect(serialiseEventCreated(keyed, '{"n":1}')).toBe(JSON.stringify(keyed));
  });

  it('writes every member of the event', () => {
    expect([...EVERY_MEMBER_WRITTEN].sort()).toEqual(Object.keys(created(1)).sort());
  });

  it('gives the events view the payload text the publisher made, for that event object only', () => {
    const data = created({ n: 1 });
    // A text that JSON.stringify would not make shows that the remembered one is answered.
    serialiseEventCreated(data, '{ "n": 1 }');
    expect(payloadJsonOf(data)).toBe('{ "n": 1 }');
    // The same event read back from a store is another object: its payload is serialised from it.
    const readBack = JSON.parse(JSON.stringify(data)) as EventCreated['data'];
    expect(payloadJsonOf(readBack)).toBe('{"n":1}');
  });

  it('leaves data JSON cannot hold to JSON.stringify', () => {
    const data = created(undefined);
    expect(serialiseEventCreated(data, JSON.stringify(undefined))).toBe(JSON.stringify(data));
    expect(payloadJsonOf(data)).toBe('null');
  });
});
