import { hash } from 'node:crypto';
import { ObjectMemo } from '../../shared/object-memo.js';
import { redactHeaders } from '../../subscriptions/domain/subscription-rules.js';
import type { SubscriptionConfig } from '../../subscriptions/domain/subscription.events.js';
import type { AttemptRequest } from '../domain/delivery.events.js';
import { assertSigningSecrets, type Signing } from './signer.js';

export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  /** The published data as JSON text (`JSON.stringify` of it). */
  dataJson: string;
}

/**
 * One attempt's request as the main thread makes it. The sending thread adds `webhook-timestamp`
 * and the signature header as it sends it (`signing`); `recordedRequest` then says what the ledger
 * records of it.
 */
export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  signing: Signing;
  /** The record of it but for the timestamp and signature: headers redacted, the body's size and hash. */
  unsigned: Omit<AttemptRequest, 'signature'>;
}

/** What was signed when the request went out. */
export interface Signed {
  timestampSec: number;
  signature: string;
}

export interface WebhookBody {
  text: string;
  bytes: number;
  sha256: string;
}

/**
 * The body a subscriber receives (SPEC §4): our envelope, or exactly the published data. The
 * envelope is `JSON.stringify({ id, type, timestamp, data })` written out around the data's JSON,
 * which is already text: an object's JSON is its members' JSON, in order, joined by commas.
 */
export function webhookBody(event: WebhookEvent, payload: SubscriptionConfig['payload']): WebhookBody {
  const text =
    payload === 'raw'
      ? event.dataJson
      : `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(event.createdAt)},"data":${event.dataJson}}`;
  return { text, bytes: Buffer.byteLength(text), sha256: hash('sha256', text, 'hex') };
}

const bodies = new ObjectMemo<{ envelope?: WebhookBody; raw?: WebhookBody }>('webhook bodies');

/**
 * The same, made once per event object and payload form: every subscription of a fan-out and every
 * retry of an event still held in the events view's cache sends the same bytes.
 */
export function webhookBodyOf(event: WebhookEvent, payload: SubscriptionConfig['payload']): WebhookBody {
  let made = bodies.get(event);
  if (!made) {
    made = {};
    bodies.set(event, made);
  }
  return (made[payload] ??= webhookBody(event, payload));
}

/**
 * Headers and signing for one attempt. `secrets` come current first; Standard Webhooks signs with
 * each (rotation grace), the hex scheme with the current one only.
 */
export function buildWebhookRequest(
  event: WebhookEvent,
  body: WebhookBody,
  config: SubscriptionConfig,
  secrets: Array<{ id: string; secret: string }>,
  userAgent: string,
): OutgoingRequest {
  const common = { 'content-type': 'application/json', 'user-agent': userAgent, 'webhook-id': event.id };
  const scheme = config.signature;
  const signing: Signing =
    scheme.scheme === 'hmac-sha256-hex'
      ? { scheme: 'hmac-sha256-hex', header: scheme.header, secret: secrets[0]!.secret }
      : { scheme: 'standard', msgId: event.id, secrets: secrets.map((s) => s.secret) };
  assertSigningSecrets(signing);
  return {
    url: config.url,
    headers: Object.assign({}, config.headers, common),
    body: body.text,
    signing,
    unsigned: {
      url: config.url,
      headers: Object.assign(redactHeaders(config.headers), common),
      secretIds: signing.scheme === 'standard' ? secrets.map((s) => s.id) : [secrets[0]!.id],
      bodyBytes: body.bytes,
      bodySha256: body.sha256,
    },
  };
}

/** The request as sent and recorded: its headers with the timestamp and signature it went out with. */
export function recordedRequest(request: OutgoingRequest, signed: Signed): AttemptRequest {
  const { unsigned, signing } = request;
  const header = signing.scheme === 'standard' ? 'webhook-signature' : signing.header;
  return {
    url: unsigned.url,
    headers: { ...unsigned.headers, 'webhook-timestamp': String(signed.timestampSec), [header]: signed.signature },
    signature: signed.signature,
    secretIds: unsigned.secretIds,
    bodyBytes: unsigned.bodyBytes,
    bodySha256: unsigned.bodySha256,
  };
}
