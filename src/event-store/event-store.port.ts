/**
 * The one port every event store adapter implements (SPEC §2). Adapters live in this folder and
 * nowhere else imports a store client.
 */

/** `no_stream`: the stream must not exist; `any`: no check; a bigint: the revision of the stream's last event. */
export type ExpectedRevision = 'no_stream' | 'any' | bigint;

export interface EventToAppend {
  /** A UUID. Appending an id already in the stream (with the same expected revision) writes nothing twice. */
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  /** `data` and `metadata` already serialised, when the caller has them (the ledger hashes them): stores may use them as they are. */
  json?: { data: string; metadata: string };
}

/**
 * An event whose hash-chain link the store writes in (see `EventStore.appendLinked`): its metadata's
 * last field, `prevHash`, is the hash of the event before it in the stream.
 */
export interface UnlinkedEvent {
  id: string;
  type: string;
  data: unknown;
  /** Its `prevHash` (the last key) is set by the store, before anything else sees the event. */
  metadata: Record<string, unknown>;
  /** `data` serialised, and the metadata's JSON up to its `prevHash` field: `{"actor":…,"occurredAt":"…"`. */
  json: { data: string; metadataHead: string };
}

export interface StoredEvent {
  id: string;
  type: string;
  streamName: string;
  /** Zero-based position of the event in its stream. */
  revision: bigint;
  /** Position in the global order of all events; strictly increasing in that order. */
  position: bigint;
  data: unknown;
  metadata: Record<string, unknown>;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  nextRevision: bigint;
  /** Global position of the last appended event. */
  position: bigint;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Defaults to the start (forwards) or the end (backwards). */
  fromRevision?: bigint;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Omitted: from the very start. */
  after?: bigint;
  maxCount?: number;
}

export interface SubscribeToAllOptions {
  /** Exclusive: deliver events strictly after this position (a stored checkpoint). Omitted: from the start. */
  after?: bigint;
}

/**
 * A catch-up subscription: every stored event after the checkpoint, then live ones, in global
 * order. `caughtUp` resolves the first time the subscription has delivered everything that was
 * stored when it started. Iteration ends after `close()`; a store failure ends it with an error.
 */
export interface AllSubscription extends AsyncIterable<StoredEvent> {
  readonly caughtUp: Promise<void>;
  close(): Promise<void>;
}

/** One durable write as the store made it, for metrics: how long it took and how many appends it held. */
export interface CommitTiming {
  seconds: number;
  appends: number;
}

export interface EventStore {
  /** Human name used in logs and test output (`sqlite`, `esdb`). */
  readonly name: string;
  append(stream: string, events: EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /**
   * Appends events and links them into the stream's hash chain (`linkedMetadataJson` and
   * `serialisedEventHash`, SPEC §3), the first to `prevHash`: a store that can do this off the
   * caller's thread offers it (the embedded one, on its writer thread); for the others the ledger
   * links them itself and calls `append`. Once appended, each event's metadata object holds its
   * `prevHash` and its own hash is remembered (`rememberHash`).
   */
  appendLinked?(stream: string, events: UnlinkedEvent[], expectedRevision: ExpectedRevision, prevHash: string | null): Promise<AppendResult>;
  /**
   * Calls `listener` after each durable write that succeeded: the embedded store's group commit
   * (its transaction, the fsync included, timed on the writer thread), an EventStoreDB append call.
   */
  onCommit(listener: (commit: CommitTiming) => void): void;
  /** Events of one stream; a stream that does not exist yields nothing. */
  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent>;
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent>;
  /** The event at this global position (one `readAll` handed out); undefined when there is none. */
  readAt(position: bigint): Promise<StoredEvent | undefined>;
  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription;
  /** Resolves when the store answers; rejects otherwise. Used by `/ready`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Stream ${streamName}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** The store could not be reached or could not persist; callers answer 503 and acknowledge nothing. */
export class EventStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

export const EVENT_STORE = Symbol('EVENT_STORE');
