import { hash } from 'node:crypto';
import { ObjectMemo } from '../shared/object-memo.js';

/** A stream's last event as the service saw it when it was applied: what shows an altered last event. */
export interface StreamHead {
  stream: string;
  revision: bigint;
  hash: string;
}

/** A view's row that holds a stream's last revision and hash, keyed by what names its stream. */
export interface HeadRow {
  key: string;
  revision: number;
  hash: string;
}

/** The heads a view's rows hold, each stream named from the row's key. */
export function headsFrom(rows: HeadRow[], streamOf: (key: string) => string): StreamHead[] {
  return rows.map((row) => ({ stream: streamOf(row.key), revision: BigInt(row.revision), hash: row.hash }));
}

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
  // One-shot: no Hash stream object per event.
  return hash('sha256', `[${JSON.stringify(id)},${JSON.stringify(type)},${dataJson},${metadataJson}]`, 'hex');
}

/**
 * An event's metadata JSON with its link written in: `head` is the JSON of the metadata up to its
 * last field, `prevHash` (the JSON of the whole with `,"prevHash":null}` cut off), so the text is
 * what `JSON.stringify` gives for the metadata with that `prevHash`. The embedded store's writer
 * thread computes the same (see `SqliteWriterThread`; a test holds the two together).
 */
export function linkedMetadataJson(head: string, prevHash: string | null): string {
  return `${head},"prevHash":${prevHash === null ? 'null' : `"${prevHash}"`}}`;
}

/** What `linkedMetadataJson` puts back after a head for a first event: cut off to make the head. */
export const UNLINKED_TAIL = linkedMetadataJson('', null);

/** Hashes on the metadata object of the event they belong to: they live exactly as long as that event. */
const known = new ObjectMemo<string>('ledger event hash');

/** The text an event was read back from, on its metadata object: what the store holds. */
const storedText = new ObjectMemo<{ data: string; metadata: string }>('ledger event text');

/**
 * A store that keeps each event as the JSON text it was appended with (the embedded one) hands
 * that text on with the event it parsed from it. The appender hashed exactly that text, so the
 * hash of an event read back needs no second serialisation of its data and metadata: a rebuild
 * of the views from the ledger hashes every event once, and the serialisation of each payload
 * was most of that work.
 */
export function rememberStoredText(metadata: object, dataJson: string, metadataJson: string): void {
  storedText.set(metadata, { data: dataJson, metadata: metadataJson });
}

/**
 * The hash of an event as the store holds it: of the stored text when the store gave it (every
 * byte counts), else of the event's JSON. This is what verification hashes.
 */
export function storedTextHash(event: HashableEvent): string {
  const text = typeof event.metadata === 'object' && event.metadata !== null ? storedText.get(event.metadata) : undefined;
  return text ? serialisedEventHash(event.id, event.type, text.data, text.metadata) : eventHash(event);
}

/**
 * An event this process appended a moment ago is hashed again by each projection that applies it.
 * The ledger remembers the hash it appended with on that event's metadata object, which the
 * embedded store hands to its live subscribers as it was appended; the first projection to hash an
 * event read back from a store remembers it for the others the same way. Nothing outlives the
 * event, so the memo costs no old-space memory. Never for verification, which must hash what is stored.
 */
export function rememberHash(metadata: object, hash: string): void {
  known.set(metadata, hash);
}

export function storedEventHash(event: HashableEvent): string {
  // A foreign row's metadata may not be an object: hash it, remember nothing.
  if (typeof event.metadata !== 'object' || event.metadata === null) return eventHash(event);
  let remembered = known.get(event.metadata);
  if (remembered === undefined) {
    remembered = storedTextHash(event);
    known.set(event.metadata, remembered);
  }
  return remembered;
}
