import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import {
  AllSubscription,
  AppendResult,
  EventStore,
  EventStoreUnavailableError,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeToAllOptions,
  WrongExpectedRevisionError,
} from './event-store.port.js';

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

interface PendingAppend {
  stream: string;
  events: EventToAppend[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

const PAGE = 1000;
const TAIL_LIMIT = 2_000;

/**
 * The embedded ledger: one SQLite file in WAL mode. Appends issued in the same turn of the event
 * loop are committed together in one transaction (group commit); each promise settles only after
 * that transaction committed, so an acknowledged event is on disk.
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
  private written: StoredEvent[] = [];
  private readonly statements;

  constructor(options: SqliteEventStoreOptions) {
    this.db = new Database(options.file);
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
      CREATE INDEX IF NOT EXISTS events_by_stream_id ON events (stream, id);
      CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, pad BLOB);
    `);
    this.db.defaultSafeIntegers(true);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.appended.setMaxListeners(0);
    this.statements = {
      lastRevision: this.db.prepare<[string], { revision: bigint }>(
        'SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
      ),
      findId: this.db.prepare<[string, string], { revision: bigint; position: bigint }>(
        'SELECT revision, position FROM events WHERE stream = ? AND id = ?',
      ),
      insert: this.db.prepare(
        'INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      forwards: this.db.prepare<[string, bigint, number], EventRow>(
        'SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?',
      ),
      backwards: this.db.prepare<[string, bigint, number], EventRow>(
        'SELECT * FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?',
      ),
      all: this.db.prepare<[bigint, number], EventRow>(
        'SELECT * FROM events WHERE position > ? ORDER BY position ASC LIMIT ?',
      ),
      ping: this.db.prepare('SELECT 1'),
      // As large as a big append, so a disk with a few free pages does not pass for writable.
      probe: this.db.prepare('INSERT OR REPLACE INTO write_probe (id, at, pad) VALUES (1, ?, zeroblob(4194304))'),
    };
  }

  append(stream: string, events: EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new EventStoreUnavailableError('event store is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, events, expected: expectedRevision, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    const outcomes: Array<{ ok: true; result: AppendResult } | { ok: false; error: unknown }> = [];
    this.written = [];
    try {
      this.db.transaction(() => {
        for (const item of batch) outcomes.push(this.appendInTransaction(item));
      })();
    } catch (error) {
      this.lastWriteError = error as Error;
      const failure = new EventStoreUnavailableError('the event store could not commit', { cause: error });
      for (const item of batch) item.reject(failure);
      return;
    }
    this.lastWriteError = null;
    this.tail.push(...this.written);
    if (this.tail.length > TAIL_LIMIT) this.tail = this.tail.slice(-TAIL_LIMIT);
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.result);
      else item.reject(outcome.error);
    });
    this.appended.emit('appended');
  }

  private appendInTransaction(item: PendingAppend): { ok: true; result: AppendResult } | { ok: false; error: unknown } {
    const { stream, events, expected } = item;
    const last = this.statements.lastRevision.get(stream)?.revision;
    const repeated = this.repeatedAppend(stream, events, expected);
    if (repeated) return { ok: true, result: repeated };
    if (!revisionMatches(expected, last)) {
      return { ok: false, error: new WrongExpectedRevisionError(stream, expected, last ?? 'no_stream') };
    }
    let revision = last ?? -1n;
    let position = 0n;
    for (const event of events) {
      revision += 1n;
      const info = this.statements.insert.run(
        stream,
        revision,
        event.id,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
      );
      position = BigInt(info.lastInsertRowid);
      this.written.push({ id: event.id, type: event.type, streamName: stream, revision, position, data: event.data, metadata: event.metadata });
    }
    if (events.length === 0) position = -1n;
    return { ok: true, result: { nextRevision: revision, position } };
  }

  /**
   * An append whose every event id already sits in the stream, in order, right after the expected
   * revision, was already made: answer its original result and write nothing.
   */
  private repeatedAppend(stream: string, events: EventToAppend[], expected: ExpectedRevision): AppendResult | null {
    if (events.length === 0) return null;
    const found = events.map((e) => this.statements.findId.get(stream, e.id));
    if (found.some((f) => f === undefined)) return null;
    const first = found[0]!.revision;
    const consecutive = found.every((f, i) => f!.revision === first + BigInt(i));
    const expectedFirst = expected === 'no_stream' ? 0n : typeof expected === 'bigint' ? expected + 1n : first;
    if (!consecutive || first !== expectedFirst) return null;
    const lastFound = found[found.length - 1]!;
    return { nextRevision: lastFound.revision, position: lastFound.position };
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

    async function* run(): AsyncGenerator<StoredEvent> {
      let after = options.after ?? 0n;
      try {
        while (!closed) {
          const events = next(after);
          for (const event of events) {
            if (closed) return;
            after = event.position;
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
      }
    }

    const iterator = run();
    return {
      caughtUp,
      [Symbol.asyncIterator]: () => iterator,
      close: async () => {
        closed = true;
        wake?.();
      },
    };
  }

  /** Reads answer even on a full or read-only disk, so after a failed commit only a real write says it is back. */
  /** The committed events after `after` when the tail holds all of them, else null (read the file). */
  private tailAfter(after: bigint): StoredEvent[] | null {
    const first = this.tail[0];
    if (!first || first.position > after + 1n) return null;
    let start = this.tail.length;
    while (start > 0 && this.tail[start - 1]!.position > after) start--;
    return this.tail.slice(start, start + PAGE);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new EventStoreUnavailableError('event store is closed');
    if (this.lastWriteError === null) {
      this.statements.ping.get();
      return;
    }
    try {
      this.db.transaction(() => this.statements.probe.run(Date.now()))();
      this.lastWriteError = null;
    } catch (error) {
      throw new EventStoreUnavailableError(`the event store cannot write: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.queue.length > 0) this.flush();
    this.appended.emit('appended');
    this.db.close();
  }
}

function revisionMatches(expected: ExpectedRevision, last: bigint | undefined): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return last === undefined;
  return last === expected;
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    streamName: row.stream,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
  };
}
