import type { EventFilter, SubscriptionConfig } from '../../subscriptions/domain/subscription.events.js';
import { OPERATIONAL_PREFIX, TEST_EVENT_TYPE } from './event.events.js';

/**
 * Does a subscription's event-type pattern take this type? `*` and `prefix.*` never take
 * hookledger's own operational events or test events: a subscription names those explicitly.
 */
export function typeMatches(pattern: string, type: string): boolean {
  const reserved = type.startsWith(OPERATIONAL_PREFIX) || type === TEST_EVENT_TYPE;
  if (pattern === '*') return !reserved;
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1);
    return type.startsWith(prefix) && (!reserved || prefix.startsWith(OPERATIONAL_PREFIX));
  }
  return pattern === type;
}

function valueAt(data: unknown, path: string): unknown {
  let current: unknown = data;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** The first filter entry the data does not satisfy, or null when all are. */
export function filterMismatch(filter: EventFilter | null, data: unknown): string | null {
  if (!filter) return null;
  for (const [path, expected] of Object.entries(filter)) {
    const actual = valueAt(data, path);
    const accepted = Array.isArray(expected) ? expected : [expected];
    if (actual === undefined || !accepted.some((value) => value === actual)) return path;
  }
  return null;
}

export type RoutingVerdict =
  | { matched: true }
  | { matched: false; reason: 'event_type' | 'filter' | 'disabled' | 'deleted' | 'created_later'; detail: string };

/** Why an event does or does not go to a subscription; paused subscriptions match (their deliveries wait). */
export function route(
  subscription: { config: SubscriptionConfig; status: string },
  event: { type: string; data: unknown },
): RoutingVerdict {
  if (subscription.status === 'deleted') return { matched: false, reason: 'deleted', detail: 'the subscription was deleted' };
  if (subscription.status === 'disabled') return { matched: false, reason: 'disabled', detail: 'the subscription was disabled' };
  if (!subscription.config.eventTypes.some((p) => typeMatches(p, event.type))) {
    return { matched: false, reason: 'event_type', detail: `${event.type} matches none of ${subscription.config.eventTypes.join(', ')}` };
  }
  const path = filterMismatch(subscription.config.filter, event.data);
  if (path !== null) return { matched: false, reason: 'filter', detail: `data.${path} does not hold a value the filter accepts` };
  return { matched: true };
}
