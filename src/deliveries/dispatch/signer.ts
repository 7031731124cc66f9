import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/**
 * Standard Webhooks `webhook-signature`: one `v1,<base64>` per secret, space-separated, so a receiver
 * holding either the old or the new secret verifies during a rotation's grace period.
 */
export function signStandardWebhook(msgId: string, timestampSec: number, body: string, secrets: string[]): string {
  const signed = `${msgId}.${timestampSec}.${body}`;
  return secrets.map((secret) => `v1,${createHmac('sha256', secretKey(secret)).update(signed).digest('base64')}`).join(' ');
}

/** The `hmac-sha256-hex` scheme: the raw body alone, keyed like the standard scheme. */
export function signHmacSha256Hex(body: string, secret: string): string {
  return createHmac('sha256', secretKey(secret)).update(body).digest('hex');
}

function secretKey(secret: string): Buffer {
  // The message must never echo the secret: it may end up in a log.
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error(`a signing secret must start with ${SECRET_PREFIX}`);
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}
