import type { ApiKeyIssued, TenantCreated } from '../../access/domain/access.events.js';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import type { EventCreated } from '../../events/domain/event.events.js';
import type { LedgerMetadata } from '../../ledger/ledger-context.js';
import { SUBSCRIPTION_EVENT_TYPES } from '../../subscriptions/domain/subscription.events.js';
import { historyEntry } from '../../subscriptions/subscription-history/subscription-history.js';
import { withoutSecrets } from '../domain/ledger-redaction.js';

export type AuditActor = { type: 'api_key'; id: string; name: string; role: string } | { type: 'root' };

type Changes = Record<string, { from: unknown; to: unknown }>;

export interface AuditEntry {
  /** The ledger position: entries are ordered and paged by it. */
  position: string;
  at: string;
  actor: AuditActor;
  /** The ledger event type. */
  action: string;
  target: { stream: string; id: string };
  correlationId: string;
  /** Field → before and after, for the events that change a resource. */
  changes: Changes;
  reason?: string;
  /** What the command recorded, secrets stripped, for events that are not changes (publish, replay, jobs). */
  details?: unknown;
}

/** The id field that names a stream's resource, by stream category. */
const TARGET_ID: Record<string, string> = {
  subscription: 'subscriptionId',
  apikey: 'keyId',
  tenant: 'tenantId',
  event: 'eventId',
  delivery: 'deliveryId',
  job: 'jobId',
};

/** Where a command a key or the root key issued in a tenant is filed; null for everything else. */
export function auditFiling(stored: StoredEvent): { tenantId: string; actorId: string; at: string; actor: AuditActor } | null {
  const metadata = stored.metadata as Partial<LedgerMetadata>;
  const actor = metadata.actor;
  if (typeof metadata.tenantId !== 'string' || (actor?.type !== 'api_key' && actor?.type !== 'root')) return null;
  return {
    tenantId: metadata.tenantId,
    actorId: actor.type === 'root' ? 'root' : actor.id,
    at: String(metadata.occurredAt),
    actor: actor.type === 'root' ? { type: 'root' } : { type: 'api_key', id: actor.id, name: actor.name, role: actor.role },
  };
}

/** The audit entry of a command a key or the root key issued in a tenant; null for everything else. */
export function auditEntry(stored: StoredEvent): AuditEntry | null {
  const filed = auditFiling(stored);
  if (!filed) return null;
  const entry: AuditEntry = {
    position: stored.position.toString(),
    at: filed.at,
    actor: filed.actor,
    action: stored.type,
    target: { stream: stored.streamName, id: targetId(stored) },
    correlationId: String((stored.metadata as Partial<LedgerMetadata>).correlationId),
    changes: {},
  };
  const changed = whatChanged(stored);
  entry.changes = changed.changes;
  if (changed.reason !== undefined) entry.reason = changed.reason;
  if (changed.details !== undefined) entry.details = changed.details;
  return entry;
}

function targetId(stored: StoredEvent): string {
  const category = stored.streamName.split('-', 1)[0]!;
  const field = TARGET_ID[category];
  const id = field ? (stored.data as Record<string, unknown> | null)?.[field] : undefined;
  return typeof id === 'string' ? id : stored.streamName.slice(category.length + 1);
}

function whatChanged(stored: StoredEvent): Pick<AuditEntry, 'changes' | 'reason' | 'details'> {
  if (SUBSCRIPTION_EVENT_TYPES.has(stored.type)) {
    const { changes, reason } = historyEntry(stored);
    return { changes, ...(reason !== undefined ? { reason } : {}) };
  }
  switch (stored.type) {
    case 'TenantCreated':
      return { changes: { name: { from: null, to: (stored.data as TenantCreated['data']).name } } };
    case 'ApiKeyIssued': {
      const { name, role } = stored.data as ApiKeyIssued['data'];
      return { changes: { name: { from: null, to: name }, role: { from: null, to: role }, status: { from: null, to: 'active' } } };
    }
    case 'ApiKeyRevoked':
      return { changes: { status: { from: 'active', to: 'revoked' } } };
    case 'EventCreated': {
      // The payload is the publisher's, readable at /v1/events/:id; the trail keeps who published what where.
      const { eventId, tenantId, type, idempotencyKey, orderingKey, createdAt, deliveries, test } = stored.data as EventCreated['data'];
      // Every field but the payload; `satisfies` fails the build if a field is added and not listed here.
      const details = { eventId, tenantId, type, idempotencyKey, orderingKey, createdAt, deliveries, test } satisfies Omit<EventCreated['data'], 'data'>;
      return { changes: {}, details };
    }
    default:
      return { changes: {}, details: withoutSecrets(stored.type, stored.data) };
  }
}
