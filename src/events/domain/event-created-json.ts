import { ObjectMemo } from '../../shared/object-memo.js';
import type { EventCreated } from './event.events.js';

/**
 * The published data's JSON text, by the `EventCreated` data object that carries it: made once by
 * the publisher, written into the ledger's JSON of the event, and stored by the events view from
 * the same object as the store hands it to live subscribers. An event read back has none here.
 */
const payloads = new ObjectMemo<string>('payload JSON');

/** Every member `serialiseEventCreated` writes: a member added to `EventCreated` and not written there fails the build here. */
const WRITTEN = ['eventId', 'tenantId', 'type', 'data', 'idempotencyKey', 'orderingKey', 'createdAt', 'deliveries', 'test'] as const;
type Unwritten = Exclude<keyof EventCreated['data'], (typeof WRITTEN)[number]>;
export const EVERY_MEMBER_WRITTEN: [Unwritten] extends [never] ? readonly string[] : never = WRITTEN;

/**
 * `JSON.stringify(data)` with the payload's JSON text, already made, written in: an object's JSON
 * is its members' JSON, in order, joined by commas. The members are those of the literal the
 * publisher makes, in its order; a test holds the two to the same text. The payload's text is
 * remembered for the events view. Data JSON cannot hold (undefined) is left to `JSON.stringify`.
 */
export function serialiseEventCreated(data: EventCreated['data'], payloadJson: string | undefined): string {
  if (payloadJson === undefined) return JSON.stringify(data);
  payloads.set(data, payloadJson);
  const text = JSON.stringify;
  return (
    `{"eventId":${text(data.eventId)},"tenantId":${text(data.tenantId)},"type":${text(data.type)},"data":${payloadJson}` +
    `,"idempotencyKey":${text(data.idempotencyKey)},"orderingKey":${text(data.orderingKey)},"createdAt":${text(data.createdAt)}` +
    `,"deliveries":${text(data.deliveries)},"test":${data.test}}`
  );
}

/** The payload's JSON text: as the publisher made it, or made now for an event read back. */
export function payloadJsonOf(data: EventCreated['data']): string {
  return payloads.get(data) ?? JSON.stringify(data.data) ?? 'null';
}
