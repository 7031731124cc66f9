import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { rememberHash, rememberStoredText } from '../ledger/hash-chain.js';
import {
  AllSubscription,
  AppendResult,
  CommitTiming,
  EventStore,
  EventStoreUnavailableError,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeToAllOptions,
  UnlinkedEvent,
  WrongExpectedRevisionError,
} from './event-store.port.js';
import { SqliteWriterThread, WriteEvent, WriteItem, WriteOutcome, WritePart, WritePiece, WriteReply } from './sqlite-writer.js';

/** `full` survives power loss (an fsync per commit); `normal` survives a process crash only. */
export type SqliteSynchronous = 'full' | 'normal';

export interface SqliteEventStoreOptions {
  file: string;
  synchronous: SqliteSynchronous;
  /** How long a live subscription waits for an in-process wake-up before looking again. */
  pollIntervalMs?: number;
}

interface EventRow {
  position: number | bigint;
  stream: string;
  revision: number | bigint;
  id: string;
  type: string;
  data: string;
  metadata: string;
}

type PendingAppend = {
  stream: string;
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
} & (
  | { events: EventToAppend[]; linkTo?: undefined }
  /** `appendLinked`: `linkTo` is the hash the first event links to. */
  | { events: UnlinkedEvent[]; linkTo: string | null }
);

const PAGE = 1000;
/**
 * JSON serialised here (counted in characters), for appends whose events come as objects, before
 * what is ready goes to the writer thread: it inserts those while this thread serialises the next.
 */
const PART_BYTES = 32 * 1024;
/** The tail never holds more than this, however far behind a subscriber is (it reads the file). */
const TAIL_LIMIT = 2_000;
/**
 * Below this, the tail is not trimmed at all. Small: at a moderate rate an event left in a tail of a
 * few hundred outlives a scavenge or two, and is copied and promoted with its data for nothing.
 */
const TAIL_TRIM_AT = 16;

/** Bytes per page of a new ledger file (SQLite's default is 4 KiB); the bench's store figures measured 4–32 KiB. */
export const LEDGER_PAGE_SIZE = 16_384;

/**
 * The embedded ledger: one SQLite file in WAL mode. Appends are committed by a writer thread
 * (`SqliteWriterThread`): those issued while it is busy, or in the same turn of the event loop, go
 * together in one transaction (group commit); each promise settles only after that transaction
 * committed, so an acknowledged event is on disk. Reads use this thread's own connection.
 */
export class SqliteEventStore implements EventStore {
  readonly name = 'sqlite';
  private readonly db: Database.Database;
  private readonly appended = new EventEmitter();
  private readonly pollIntervalMs: number;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  /** Set when a commit failed, until a write succeeds again: `ping` then probes with a real write. */
  private lastWriteError: Error | null = null;
  /**
   * The latest committed events, in position order, as they were appended: a live subscriber
   * takes them from here instead of reading back and parsing rows it was just woken for.
   */
  private tail: StoredEvent[] = [];
  /** Where each open subscription is: the tail keeps only what one of them has yet to take. */
  private readonly cursors = new Set<{ after: bigint }>();
  private readonly statements;
  private readonly writer: SqliteWriterThread;
  private committing = false;
  private drained: (() => void) | null = null;
  /** `ping`s waiting to probe the writer after a failed commit. */
  private probes: Array<(reply: WriteReply) => void> = [];
  private readonly commitListeners: Array<(commit: CommitTiming) => void> = [];

  constructor(options: SqliteEventStoreOptions) {
    this.db = new Database(options.file);
    // Taken by a new file only (a file that has pages keeps its own): an append of a hundred 1.5 KB
    // events is a dozen WAL frames instead of forty-odd, each a write of its own in the commit.
    this.db.pragma(`page_size = ${LEDGER_PAGE_SIZE}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        stream   TEXT    NOT NULL,
        revision INTEGER NOT NULL,
        id       TEXT    NOT NULL,
        type     TEXT    NOT NULL,
        data     TEXT    NOT NULL,
        metadata TEXT    NOT NULL,
        UNIQUE (stream, revision)
      );
      -- Repeated appends are found by revision (see SqliteWriterThread); the by-id index is no longer kept.
      DROP INDEX IF EXISTS events_by_stream_id;
      CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, pad BLOB);
    `);
    this.db.defaultSafeIntegers(true);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.appended.setMaxListeners(0);
    this.writer = new SqliteWriterThread({ file: options.file, synchronous: options.synchronous });
    this.statements = {
      forwards: this.db.prepare<[string, bigint, number], EventRow>(
        'SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?',
      ),
      backwards: this.db.prepare<[string, bigint, number], EventRow>(
        'SELECT * FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?',
      ),
      all: this.db.prepare<[bigint, number], EventRow>(
        'SELECT * FROM events WHERE position > ? ORDER BY position ASC LIMIT ?',
      ),
      at: this.db.prepare<[bigint], EventRow>('SELECT * FROM events WHERE position = ?'),
      ping: this.db.prepare('SELECT 1'),
    };
  }

  append(stream: string, events: EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new EventStoreUnavailableError('event store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, events, expected: expectedRevision, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** The chain's hashes are computed on the writer thread, with the rows: none on this one. */
  appendLinked(stream: string, events: UnlinkedEvent[], expectedRevision: ExpectedRevision, prevHash: string | null): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new EventStoreUnavailableError('event store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, events, expected: expectedRevision, linkTo: prevHash, resolve, reject });
      this.scheduleFlush();
    });
  }

  onCommit(listener: (commit: CommitTiming) => void): void {
    this.commitListeners.push(listener);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.committing || (this.queue.length === 0 && this.probes.length === 0)) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /** Sends what was appended since the last commit to the writer thread as one transaction. */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.committing) return;
    if (this.probes.length > 0) return this.probe();
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.committing = true;
    let reply: WriteReply;
    try {
      reply = await this.writer.commit(writeParts(batch));
    } catch (error) {
      reply = { ok: false, message: (error as Error).message, code: null };
    }
    this.committing = false;
    if (!reply.ok) {
      this.lastWriteError = Object.assign(new Error(reply.message), { code: reply.code });
      const failure = new EventStoreUnavailableError('the event store could not commit', { cause: this.lastWriteError });
      for (const item of batch) item.reject(failure);
    } else {
      this.lastWriteError = null;
      // Appends refused for their expected revision were part of the transaction but wrote nothing.
      const appends = reply.outcomes.reduce((n, outcome) => (outcome.ok ? n + 1 : n), 0);
      if (appends > 0) for (const listener of this.commitListeners) listener({ seconds: reply.seconds, appends });
      batch.forEach((item, i) => this.settle(item, reply.outcomes[i]!));
      this.trimTail();
      this.appended.emit('appended');
    }
    if (this.closed) this.drained?.();
    this.scheduleFlush();
  }

  private async probe(): Promise<void> {
    const probes = this.probes;
    this.probes = [];
    this.committing = true;
    const reply = await this.writer.probe().catch((error: Error): WriteReply => ({ ok: false, message: error.message, code: null }));
    this.committing = false;
    for (const resolve of probes) resolve(reply);
    if (this.closed) this.drained?.();
    this.scheduleFlush();
  }

  private settle(item: PendingAppend, outcome: WriteOutcome): void {
    if (!outcome.ok) {
      const actual = outcome.actual === 'no_stream' ? 'no_stream' : BigInt(outcome.actual);
      item.reject(new WrongExpectedRevisionError(item.stream, item.expected, actual));
      return;
    }
    if (outcome.hashes) {
      // Before anything sees the events: their metadata as stored, and their hashes for the views.
      let prev = item.linkTo ?? null;
      outcome.hashes.forEach((hash, i) => {
        const metadata = item.events[i]!.metadata;
        metadata.prevHash = prev;
        rememberHash(metadata, hash);
        prev = hash;
      });
    }
    if (outcome.first !== null) {
      const firstRevision = BigInt(outcome.nextRevision - item.events.length + 1);
      item.events.forEach((event, i) =>
        this.tail.push({
          id: event.id,
          type: event.type,
          streamName: item.stream,
          revision: firstRevision + BigInt(i),
          position: BigInt(outcome.first! + i),
          data: event.data,
          metadata: event.metadata,
        }),
      );
    }
    item.resolve({ nextRevision: BigInt(outcome.nextRevision), position: BigInt(outcome.position) });
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    const backwards = options.direction === 'backwards';
    let remaining = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    let from = options.fromRevision ?? (backwards ? BigInt(Number.MAX_SAFE_INTEGER) : 0n);
    while (remaining > 0) {
      const rows = (backwards ? this.statements.backwards : this.statements.forwards).all(
        stream,
        from,
        Math.min(PAGE, remaining),
      );
      for (const row of rows) yield toStoredEvent(row);
      if (rows.length < Math.min(PAGE, remaining)) return;
      remaining -= rows.length;
      const lastRevision = BigInt(rows[rows.length - 1]!.revision);
      from = backwards ? lastRevision - 1n : lastRevision + 1n;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    let after = options.after ?? 0n;
    let remaining = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    while (remaining > 0) {
      const rows = this.statements.all.all(after, Math.min(PAGE, remaining));
      for (const row of rows) yield toStoredEvent(row);
      if (rows.length < Math.min(PAGE, remaining)) return;
      remaining -= rows.length;
      after = BigInt(rows[rows.length - 1]!.position);
    }
  }

  readAt(position: bigint): Promise<StoredEvent | undefined> {
    const row = this.statements.at.get(position);
    return Promise.resolve(row ? toStoredEvent(row) : undefined);
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    let closed = false;
    let wake: (() => void) | null = null;
    const onAppend = () => wake?.();
    this.appended.on('appended', onAppend);
    let markCaughtUp!: () => void;
    const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
    const pollIntervalMs = this.pollIntervalMs;
    const appended = this.appended;
    const next = (after: bigint) => this.tailAfter(after) ?? this.statements.all.all(after, PAGE).map(toStoredEvent);
    const cursor = { after: options.after ?? 0n };
    const cursors = this.cursors;
    cursors.add(cursor);

    async function* run(): AsyncGenerator<StoredEvent> {
      try {
        while (!closed) {
          const events = next(cursor.after);
          for (const event of events) {
            if (closed) return;
            cursor.after = event.position;
            yield event;
          }
          if (events.length >= PAGE) {
            // Catching up: let timers and I/O run between pages.
            await new Promise((resolve) => setImmediate(resolve));
          } else {
            markCaughtUp();
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, pollIntervalMs);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = null;
          }
        }
      } finally {
        appended.off('appended', onAppend);
        cursors.delete(cursor);
      }
    }

    const iterator = run();
    return {
      caughtUp,
      [Symbol.asyncIterator]: () => iterator,
      close: async () => {
        closed = true;
        cursors.delete(cursor);
        wake?.();
      },
    };
  }

  /**
   * Drops what every open subscription has taken: the events a live subscriber was woken for are
   * gone from here within milliseconds, and die young instead of being promoted with a long tail.
   * Trimmed past a handful only, and capped for a subscriber that stays behind.
   */
  private trimTail(): void {
    if (this.tail.length <= TAIL_TRIM_AT) return;
    let taken = this.tail[this.tail.length - 1]!.position;
    for (const cursor of this.cursors) if (cursor.after < taken) taken = cursor.after;
    let keepFrom = 0;
    while (keepFrom < this.tail.length && this.tail[keepFrom]!.position <= taken) keepFrom++;
    keepFrom = Math.max(keepFrom, this.tail.length - TAIL_LIMIT);
    if (keepFrom > 0) this.tail = this.tail.slice(keepFrom);
  }

  /** The committed events after `after` when the tail holds all of them, else null (read the file). */
  private tailAfter(after: bigint): StoredEvent[] | null {
    const first = this.tail[0];
    if (!first || first.position > after + 1n) return null;
    let start = this.tail.length;
    while (start > 0 && this.tail[start - 1]!.position > after) start--;
    return this.tail.slice(start, start + PAGE);
  }

  /** Reads answer even on a full or read-only disk, so after a failed commit only a real write says it is back. */
  async ping(): Promise<void> {
    if (this.closed) throw new EventStoreUnavailableError('event store is closed');
    if (this.lastWriteError === null) {
      this.statements.ping.get();
      return;
    }
    // Through the writer's own connection, between two commits: is it the writer that can write again?
    const reply = await new Promise<WriteReply>((resolve) => {
      this.probes.push(resolve);
      this.scheduleFlush();
    });
    if (!reply.ok) throw new EventStoreUnavailableError(`the event store cannot write: ${reply.message}`);
    this.lastWriteError = null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // What was accepted before close is still committed.
    if (this.committing || this.queue.length > 0) {
      await new Promise<void>((resolve) => {
        this.drained = () => {
          if (!this.committing && this.queue.length === 0) resolve();
        };
        this.scheduleFlush();
      });
    }
    await this.writer.close();
    this.appended.emit('appended');
    this.db.close();
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
  // Kept with the event it was parsed from: its hash is of this text (see `rememberStoredText`).
  if (typeof metadata === 'object' && metadata !== null) rememberStoredText(metadata, row.data, row.metadata);
  return {
    id: row.id,
    type: row.type,
    streamName: row.stream,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    data: JSON.parse(row.data),
    metadata,
  };
}

/**
 * The batch as the writer thread takes it, in parts. Events that come serialised (the ledger's, so
 * every append the service makes) go as they are, in one part. Those serialised here are sent every
 * `PART_BYTES` of JSON, so that the thread inserts the first while this one serialises the rest.
 */
function* writeParts(batch: PendingAppend[]): Generator<WritePart> {
  const metadataJson = lastObjectJson();
  let pieces: WritePiece[] = [];
  let bytes = 0;
  for (let i = 0; i < batch.length; i++) {
    const item = batch[i]!;
    const head = writeItemHead(item);
    let piece: WritePiece = head;
    pieces.push(piece);
    for (let j = 0; j < item.events.length; j++) {
      const event = item.events[j]!;
      const written = writeEvent(event, metadataJson);
      piece.events.push(written);
      if (!event.json) bytes += written.data.length + written.metadata.length;
      const inItem = j < item.events.length - 1;
      if (bytes >= PART_BYTES && (inItem || i < batch.length - 1)) {
        if (inItem) head.ids ??= item.events.map((e) => e.id);
        yield { pieces, last: false };
        bytes = 0;
        piece = { continues: true, events: [] };
        pieces = inItem ? [piece] : [];
      }
    }
  }
  yield { pieces, last: true };
}

function writeItemHead(item: PendingAppend): WriteItem {
  const expected = typeof item.expected === 'bigint' ? item.expected.toString() : item.expected;
  if (item.linkTo === undefined) return { stream: item.stream, expected, events: [] };
  return { stream: item.stream, expected, linkTo: item.linkTo, events: [] };
}

function writeEvent(event: EventToAppend | UnlinkedEvent, metadataJson: (metadata: object) => string): WriteEvent {
  if (event.json && 'metadataHead' in event.json) {
    return { id: event.id, type: event.type, data: event.json.data, metadata: event.json.metadataHead };
  }
  return {
    id: event.id,
    type: event.type,
    data: event.json?.data ?? JSON.stringify(event.data),
    metadata: event.json?.metadata ?? metadataJson(event.metadata),
  };
}

/**
 * `JSON.stringify` that remembers the last object it was given: the events of an append often
 * share one metadata object (an actor, a correlation id), serialised then once instead of per
 * event. Used within one synchronous pass over a batch, in which nothing can change the object.
 */
function lastObjectJson(): (value: object) => string {
  let last: object | null = null;
  let text = '';
  return (value) => {
    if (value !== last) {
      text = JSON.stringify(value);
      last = value;
    }
    return text;
  };
}
