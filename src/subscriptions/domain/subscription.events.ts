import type { DomainEvent } from '../../shared/domain/decider.js';

export type FilterScalar = string | number | boolean | null;
/** Data paths (`customer.tier`) to the value the event's data must hold, or a list of which one must match. */
export type EventFilter = Record<string, FilterScalar | FilterScalar[]>;

export type SignatureScheme = { scheme: 'standard' } | { scheme: 'hmac-sha256-hex'; header: string };

export interface RetryPolicy {
  /** Delay before each attempt, the first included: `["0s", "5s", "5m"]`. */
  schedule: string[];
  retryAllFailures: boolean;
}

export interface SubscriptionConfig {
  url: string;
  eventTypes: string[];
  description: string | null;
  headers: Record<string, string>;
  filter: EventFilter | null;
  retryPolicy: RetryPolicy;
  timeoutMs: number;
  maxConcurrency: number;
  rateLimitPerSecond: number | null;
  ordering: 'none' | 'key';
  signature: SignatureScheme;
  payload: 'envelope' | 'raw';
}

export type ConfigChanges = Partial<SubscriptionConfig>;

/** A signing secret as the ledger holds it: sealed under the master key, never in clear. */
export interface SealedSecret {
  id: string;
  sealed: string;
}

export type DisableReason = 'operator' | 'failing' | 'gone';

interface Ids {
  subscriptionId: string;
  tenantId: string;
}

export type SubscriptionCreated = DomainEvent<'SubscriptionCreated', Ids & { config: SubscriptionConfig; secret: SealedSecret; createdAt: string }>;
export type SubscriptionUpdated = DomainEvent<
  'SubscriptionUpdated',
  Ids & { changes: ConfigChanges; previous: ConfigChanges; updatedAt: string }
>;
export type SubscriptionPaused = DomainEvent<'SubscriptionPaused', Ids & { pausedAt: string }>;
export type SubscriptionResumed = DomainEvent<'SubscriptionResumed', Ids & { resumedAt: string; wasDisabled: boolean }>;
export type SubscriptionSecretRotated = DomainEvent<
  'SubscriptionSecretRotated',
  Ids & { secret: SealedSecret; previousSecretId: string; previousValidUntil: string; rotatedAt: string }
>;
export type SubscriptionDisabled = DomainEvent<
  'SubscriptionDisabled',
  Ids & { reason: DisableReason; detail: string | null; disabledAt: string }
>;
export type SubscriptionDeleted = DomainEvent<'SubscriptionDeleted', Ids & { deletedAt: string }>;

export type SubscriptionEvent =
  | SubscriptionCreated
  | SubscriptionUpdated
  | SubscriptionPaused
  | SubscriptionResumed
  | SubscriptionSecretRotated
  | SubscriptionDisabled
  | SubscriptionDeleted;

export const SUBSCRIPTION_EVENT_TYPES: ReadonlySet<string> = new Set<SubscriptionEvent['type']>([
  'SubscriptionCreated',
  'SubscriptionUpdated',
  'SubscriptionPaused',
  'SubscriptionResumed',
  'SubscriptionSecretRotated',
  'SubscriptionDisabled',
  'SubscriptionDeleted',
]);

export const subscriptionStream = (subscriptionId: string) => `subscription-${subscriptionId}`;
