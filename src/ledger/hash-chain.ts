import { createHash } from 'node:crypto';
import { RecentCache } from '../shared/recent-cache.js';

export interface HashableEvent {
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

/**
 * The tamper-evidence link (SPEC §3): sha256 over the event's id, type, data and metadata. The
 * metadata holds the previous event's hash, so altering, removing or reordering an event breaks
 * the chain from there on. JSON.stringify is stable through a store round trip: both stores keep
 * key order and drop nothing that stringify keeps.
 */
export function eventHash(event: HashableEvent): string {
  return serialisedEventHash(event.id, event.type, JSON.stringify(event.data) ?? 'null', JSON.stringify(event.metadata));
}

/**
 * The same hash from `data` and `metadata` already serialised: the JSON of the array
 * `[id, type, data, metadata]`, written out (an array's JSON is its elements' JSON joined by
 * commas), so an appended event is serialised once, for its hash and its row.
 */
export function serialisedEventHash(id: string, type: string, dataJson: string, metadataJson: string): string {
  return createHash('sha256')
    .update(`[${JSON.stringify(id)},${JSON.stringify(type)},${dataJson},${metadataJson}]`)
    .digest('hex');
}

const recent = new RecentCache<string, string>({ entries: 5_000 });

/**
 * The hash of an event this process appended a moment ago is asked for again when its projections
 * apply it: remember the latest ones by event id (ids are UUIDs) instead of hashing twice. Only
 * for events read back from the ledger, never for verification, which must hash what is stored.
 */
export function rememberHash(id: string, hash: string): void {
  recent.set(id, hash);
}

export function storedEventHash(event: HashableEvent): string {
  return recent.get(event.id) ?? eventHash(event);
}
