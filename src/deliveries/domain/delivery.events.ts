import type { DomainEvent } from '../../shared/domain/decider.js';
import type { AttemptOutcome, ErrorClass } from './retry-policy.js';

export type Trigger = 'initial' | 'retry' | 'replay' | 'test';

export interface AttemptRequest {
  url: string;
  /** As sent, with credential-like custom header values replaced by `[redacted]`. */
  headers: Record<string, string>;
  signature: string;
  /** Ids of the secrets that made the signature. */
  secretIds: string[];
  bodyBytes: number;
  bodySha256: string;
}

export interface AttemptResponse {
  status: number;
  headers: Record<string, string>;
  /** The first 4 KiB of the body. */
  body: string;
}

export interface AttemptRecord {
  attempt: number;
  trigger: Trigger;
  startedAt: string;
  request: AttemptRequest;
  response: AttemptResponse | null;
  error: { class: ErrorClass | 'redirect'; message: string } | null;
  durationMs: number;
  outcome: AttemptOutcome;
}

interface Ids {
  deliveryId: string;
  eventId: string;
  subscriptionId: string;
  tenantId: string;
}

export type AttemptMade = DomainEvent<'AttemptMade', Ids & AttemptRecord>;
export type DeliverySucceeded = DomainEvent<'DeliverySucceeded', Ids & { attempts: number; succeededAt: string; afterFailures: boolean }>;
export type RetryScheduled = DomainEvent<'RetryScheduled', Ids & { attempt: number; dueAt: string }>;
export type DeliveryFailed = DomainEvent<'DeliveryFailed', Ids & { attempts: number; reason: 'exhausted' | 'permanent'; failedAt: string }>;
export type DeliveryCancelled = DomainEvent<'DeliveryCancelled', Ids & { reason: string; cancelledAt: string }>;
/** `jobId` names the bulk replay that asked for it (null for a single replay), so a resumed job never asks twice. */
export type ReplayRequested = DomainEvent<'ReplayRequested', Ids & { reason: string | null; jobId: string | null; requestedAt: string }>;

export type DeliveryEvent = AttemptMade | DeliverySucceeded | RetryScheduled | DeliveryFailed | DeliveryCancelled | ReplayRequested;

export const DELIVERY_EVENT_TYPES: ReadonlySet<string> = new Set<DeliveryEvent['type']>([
  'AttemptMade',
  'DeliverySucceeded',
  'RetryScheduled',
  'DeliveryFailed',
  'DeliveryCancelled',
  'ReplayRequested',
]);

export const deliveryStream = (deliveryId: string) => `delivery-${deliveryId}`;
export const isDeliveryStream = (stream: string) => stream.startsWith('delivery-');
