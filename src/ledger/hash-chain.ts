import { createHash } from 'node:crypto';

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
  return createHash('sha256')
    .update(JSON.stringify([event.id, event.type, event.data, event.metadata]))
    .digest('hex');
}
