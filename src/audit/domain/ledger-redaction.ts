import type { ApiKeyIssued } from '../../access/domain/access.events.js';
import type { AttemptMade } from '../../deliveries/domain/delivery.events.js';
import { redactHeaders } from '../../subscriptions/domain/subscription-rules.js';
import type {
  SubscriptionCreated,
  SubscriptionSecretRotated,
  SubscriptionUpdated,
} from '../../subscriptions/domain/subscription.events.js';

type WithHeaders = { headers?: Record<string, string> } | null | undefined;

function redacted<T extends WithHeaders>(value: T): T {
  return value?.headers ? { ...value, headers: redactHeaders(value.headers) } : value;
}

/** A sealed secret keeps its id (which secret signed what) and loses its ciphertext. */
function secretId(secret: { id: string } | null | undefined): { id: string } | null | undefined {
  return secret ? { id: secret.id } : secret;
}

/**
 * An event's data as it may leave the service (SPEC §6): no sealed subscription secret, no API key
 * hash, credential-like custom header values as `[redacted]`. Chosen by event type rather than by
 * field name, so a publisher's own payload (`EventCreated.data.data`) is exported exactly as published.
 * Tolerant of malformed data: a tampered ledger must still export, so `verify` can say what broke.
 */
export function withoutSecrets(type: string, data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data;
  switch (type) {
    case 'SubscriptionCreated': {
      const d = data as SubscriptionCreated['data'];
      return { ...d, config: redacted(d.config), secret: secretId(d.secret) };
    }
    case 'SubscriptionUpdated': {
      const d = data as SubscriptionUpdated['data'];
      return { ...d, changes: redacted(d.changes), previous: redacted(d.previous) };
    }
    case 'SubscriptionSecretRotated': {
      const d = data as SubscriptionSecretRotated['data'];
      return { ...d, secret: secretId(d.secret) };
    }
    case 'ApiKeyIssued': {
      const { keyHash: _hash, ...rest } = data as ApiKeyIssued['data'];
      return rest;
    }
    case 'AttemptMade': {
      // Recorded redacted already; redacting again costs little and survives a future recorder bug.
      const d = data as AttemptMade['data'];
      return { ...d, request: redacted(d.request) };
    }
    default:
      return data;
  }
}
