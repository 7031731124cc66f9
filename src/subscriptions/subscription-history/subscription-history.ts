import type { StoredEvent } from '../../event-store/event-store.port.js';
import type { LedgerMetadata } from '../../ledger/ledger-context.js';
import type { SubscriptionEvent } from '../domain/subscription.events.js';
import { redactChanges } from '../subscription-mapping.js';

export interface HistoryEntry {
  revision: string;
  type: SubscriptionEvent['type'];
  at: string;
  actor: LedgerMetadata['actor'];
  correlationId: string;
  /** What changed: field → { from, to }. Secrets appear only by id. */
  changes: Record<string, { from: unknown; to: unknown }>;
  reason?: string;
}

/** One ledger event of a subscription stream as an auditor reads it. */
export function historyEntry(stored: StoredEvent): HistoryEntry {
  const event = { type: stored.type, data: stored.data } as SubscriptionEvent;
  const metadata = stored.metadata as unknown as LedgerMetadata;
  const entry: HistoryEntry = {
    revision: stored.revision.toString(),
    type: event.type,
    at: metadata.occurredAt,
    actor: metadata.actor,
    correlationId: metadata.correlationId,
    changes: {},
  };
  switch (event.type) {
    case 'SubscriptionCreated': {
      const config = redactChanges(event.data.config);
      entry.changes = Object.fromEntries(Object.entries(config).map(([field, to]) => [field, { from: null, to }]));
      entry.changes.secretId = { from: null, to: event.data.secret.id };
      break;
    }
    case 'SubscriptionUpdated': {
      const to = redactChanges(event.data.changes) as Record<string, unknown>;
      const from = redactChanges(event.data.previous) as Record<string, unknown>;
      entry.changes = Object.fromEntries(Object.keys(to).map((field) => [field, { from: from[field] ?? null, to: to[field] }]));
      break;
    }
    case 'SubscriptionPaused':
      entry.changes = { status: { from: 'active', to: 'paused' } };
      break;
    case 'SubscriptionResumed':
      entry.changes = { status: { from: event.data.wasDisabled ? 'disabled' : 'paused', to: 'active' } };
      break;
    case 'SubscriptionDisabled':
      entry.changes = { status: { from: null, to: 'disabled' } };
      entry.reason = event.data.reason + (event.data.detail ? `: ${event.data.detail}` : '');
      break;
    case 'SubscriptionSecretRotated':
      entry.changes = { secretId: { from: event.data.previousSecretId, to: event.data.secret.id } };
      entry.reason = `previous secret signs until ${event.data.previousValidUntil}`;
      break;
    case 'SubscriptionDeleted':
      entry.changes = { status: { from: null, to: 'deleted' } };
      break;
  }
  return entry;
}
