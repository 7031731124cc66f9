import { createHash } from 'node:crypto';
import { redactHeaders } from '../../subscriptions/domain/subscription-rules.js';
import type { SubscriptionConfig } from '../../subscriptions/domain/subscription.events.js';
import type { AttemptRequest } from '../domain/delivery.events.js';
import { signHmacSha256Hex, signStandardWebhook } from './signer.js';

export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  data: unknown;
}

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** What the ledger records of it. */
  record: AttemptRequest;
}

/** The body a subscriber receives (SPEC §4): our envelope, or exactly the published data. */
export function webhookBody(event: WebhookEvent, payload: SubscriptionConfig['payload']): string {
  return payload === 'raw'
    ? JSON.stringify(event.data)
    : JSON.stringify({ id: event.id, type: event.type, timestamp: event.createdAt, data: event.data });
}

/**
 * Headers and signatures for one attempt. `secrets` come current first; Standard Webhooks signs
 * with each (rotation grace), the hex scheme with the current one only.
 */
export function buildWebhookRequest(
  event: WebhookEvent,
  body: string,
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
    signature = signHmacSha256Hex(body, secrets[0]!.secret);
    signatureHeader = { [config.signature.header]: signature };
    secretIds = [secrets[0]!.id];
  } else {
    signature = signStandardWebhook(event.id, nowSec, body, secrets.map((s) => s.secret));
    signatureHeader = { 'webhook-signature': signature };
    secretIds = secrets.map((s) => s.id);
  }
  return {
    url: config.url,
    headers: { ...config.headers, ...common, ...signatureHeader },
    body,
    record: {
      url: config.url,
      headers: { ...redactHeaders(config.headers), ...common, ...signatureHeader },
      signature,
      secretIds,
      bodyBytes: Buffer.byteLength(body),
      bodySha256: createHash('sha256').update(body).digest('hex'),
    },
  };
}
