import { hash } from 'node:crypto';
import { ObjectMemo } from '../../shared/object-memo.js';
import { redactHeaders } from '../../subscriptions/domain/subscription-rules.js';
import type { SubscriptionConfig } from '../../subscriptions/domain/subscription.events.js';
import type { AttemptRequest } from '../domain/delivery.events.js';
import { signHmacSha256Hex, signStandardWebhook } from './signer.js';

export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  /** The published data as JSON text (`JSON.stringify` of it). */
  dataJson: string;
}

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** What the ledger records of it. */
  record: AttemptRequest;
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
 * Headers and signatures for one attempt. `secrets` come current first; Standard Webhooks signs
 * with each (rotation grace), the hex scheme with the current one only.
 */
export function buildWebhookRequest(
  event: WebhookEvent,
  body: WebhookBody,
  config: SubscriptionConfig,
  secrets: Array<{ id: string; secret: string }>,
  nowSec: number,
  userAgent: string,
): OutgoingRequest {
  const common = {
    'content-type': 'application/json',
    'user-agent': userAgent,
    'webhook-id': event.id,
    'webhook-timestamp': String(nowSec),
  };
  let signature: string;
  let signatureHeader: Record<string, string>;
  let secretIds: string[];
  if (config.signature.scheme === 'hmac-sha256-hex') {
    signature = signHmacSha256Hex(body.text, secrets[0]!.secret);
    signatureHeader = { [config.signature.header]: signature };
    secretIds = [secrets[0]!.id];
  } else {
    signature = signStandardWebhook(event.id, nowSec, body.text, secrets.map((s) => s.secret));
    signatureHeader = { 'webhook-signature': signature };
    secretIds = secrets.map((s) => s.id);
  }
  return {
    url: config.url,
    headers: Object.assign({}, config.headers, common, signatureHeader),
    body: body.text,
    record: {
      url: config.url,
      headers: Object.assign(redactHeaders(config.headers), common, signatureHeader),
      signature,
      secretIds,
      bodyBytes: body.bytes,
      bodySha256: body.sha256,
    },
  };
}
