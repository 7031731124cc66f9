import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/**
 * How a request is to be signed (SPEC §4), made with the request by the main thread and applied by
 * the sending thread the moment the request goes out: the timestamp signed is when it was sent.
 */
export type Signing =
  | { scheme: 'standard'; msgId: string; secrets: string[] }
  | { scheme: 'hmac-sha256-hex'; header: string; secret: string };

/** The signature header of a request sent at `timestampSec`: its name and value. */
export function signatureFor(signing: Signing, timestampSec: number, body: string): { header: string; value: string } {
  if (signing.scheme === 'hmac-sha256-hex') return { header: signing.header, value: signHmacSha256Hex(body, signing.secret) };
  return { header: 'webhook-signature', value: signStandardWebhook(signing.msgId, timestampSec, body, signing.secrets) };
}

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

/** Throws, as signing would, for a secret that cannot sign: checked where the request is made, before it is queued. */
export function assertSigningSecrets(signing: Signing): void {
  for (const secret of signing.scheme === 'standard' ? signing.secrets : [signing.secret]) secretKey(secret);
}

/** Decoded keys by secret: a subscription signs every attempt with the same one or two. */
const keys = new Map<string, Buffer>();
const KEYS_KEPT = 1_000;

function secretKey(secret: string): Buffer {
  let key = keys.get(secret);
  if (key) return key;
  // The message must never echo the secret: it may end up in a log.
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error(`a signing secret must start with ${SECRET_PREFIX}`);
  key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  if (keys.size >= KEYS_KEPT) keys.clear();
  keys.set(secret, key);
  return key;
}
