import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** An event as it crosses to the writer thread: data and metadata already serialised. */
export interface WriteEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/** One append as it crosses to the writer thread, or the first piece of it. */
export interface WriteItem {
  stream: string;
  /** `any`, `no_stream` or a revision in decimal. */
  expected: string;
  /**
   * When a string or null, the thread links the events into the hash chain, the first to this
   * hash: each event's `metadata` is then the head of its JSON (`linkedMetadataJson`).
   */
  linkTo?: string | null;
  /** Every event's id, when the append's events come in more than one piece (`events` holds the first's). */
  ids?: string[];
  events: WriteEvent[];
}

/** The next events of the append begun by the piece before it. */
interface WriteContinuation {
  continues: true;
  events: WriteEvent[];
}

export type WritePiece = WriteItem | WriteContinuation;

/**
 * A part of one transaction: the thread inserts each as it arrives and commits with the `last`, so
 * it can start on the first while the rest are still being serialised.
 */
export interface WritePart {
  pieces: WritePiece[];
  last: boolean;
}

export type WriteOutcome =
  /**
   * `first` is the position of the first written event (they are consecutive); null when nothing was
   * written. `hashes`: of the written events, when the thread linked them.
   */
  | { ok: true; nextRevision: number; position: number; first: number | null; hashes?: string[] }
  | { ok: false; actual: number | 'no_stream' };

type WriterRequest =
  | { kind: 'part'; part: WritePart }
  /** The parts sent so far are rolled back: the rest could not be made. */
  | { kind: 'abandon' }
  | { kind: 'probe' };

export type WriteReply =
  /** `seconds`: the transaction from its first part, its commit and fsync included, as the writer thread timed it. */
  | { ok: true; outcomes: WriteOutcome[]; seconds: number }
  | { ok: false; message: string; code: string | null };

/** WAL written between two automatic checkpoints, of the ledger and of the read models (SQLite's default: 1000 pages of 4 KiB). */
export const WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024;

interface WriterOptions {
  file: string;
  synchronous: 'full' | 'normal';
}

/**
 * The ledger's writes run on their own thread: the inserts and, above all, the commit with its
 * fsync (and SQLite's WAL checkpoints, run by the committing connection) would otherwise hold the
 * event loop, and with it every request and attempt in flight, for each group commit. Reads stay
 * on the main thread's own connection (WAL: readers see each commit once it is made).
 *
 * One batch is in the writer at a time; what is appended meanwhile waits and goes in the next,
 * so a slower disk makes bigger group commits instead of a longer queue of small ones.
 */
export class SqliteWriterThread {
  private worker: Worker | null = null;
  private pending: { resolve: (reply: WriteReply) => void } | null = null;

  constructor(private readonly options: WriterOptions) {}

  /**
   * Commits the appends in one transaction; each outcome answers the append at its index. Each part
   * is sent as soon as `parts` yields it; if `parts` throws, what was sent is rolled back, and the
   * error is thrown once the thread has let go of the transaction.
   */
  async commit(parts: Iterable<WritePart>): Promise<WriteReply> {
    const worker = this.worker ?? this.start();
    const reply = this.expectReply(worker);
    try {
      for (const part of parts) worker.postMessage({ kind: 'part', part } satisfies WriterRequest);
    } catch (error) {
      worker.postMessage({ kind: 'abandon' } satisfies WriterRequest);
      await reply;
      throw error;
    }
    return reply;
  }

  /** Writes (and rolls back nothing of) a 4 MiB probe row through the writer's connection: can the ledger write? */
  probe(): Promise<WriteReply> {
    return this.send({ kind: 'probe' });
  }

  private send(request: WriterRequest): Promise<WriteReply> {
    const worker = this.worker ?? this.start();
    const reply = this.expectReply(worker);
    worker.postMessage(request);
    return reply;
  }

  private expectReply(worker: Worker): Promise<WriteReply> {
    if (this.pending) throw new Error('the writer thread already has a request');
    worker.ref();
    return new Promise((resolve) => (this.pending = { resolve }));
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(`(${writerThread.toString()})(require)`, {
      eval: true,
      // It keeps nothing between batches: a small young generation keeps its footprint down (big batches go to the old one).
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
      workerData: { ...this.options, checkpointBytes: WAL_CHECKPOINT_BYTES, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    worker.on('message', (reply: WriteReply) => this.settle(reply));
    worker.on('error', (error: Error) => {
      // The thread is gone (it could not open the file, say): the batch fails, the next starts a new one.
      if (this.worker === worker) this.worker = null;
      this.settle({ ok: false, message: `the ledger writer stopped: ${error.message}`, code: null });
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.settle({ ok: false, message: 'the ledger writer stopped', code: null });
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: WriteReply): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    this.worker?.unref();
    pending.resolve(reply);
  }
}

/**
 * The writer thread's whole program. It is shipped as source (`eval`), so it must not use anything
 * from its module: only what `require` gives it.
 */
function writerThread(require: NodeJS.Require): void {
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { hash } = require('node:crypto') as typeof import('node:crypto');
  const Database = require(workerData.driver as string) as typeof import('better-sqlite3');

  /** An append being written: its outcome so far, where its stream is, and the hash its next event links to. */
  interface Appending {
    stream: string;
    outcome: Extract<WriteOutcome, { ok: true }>;
    revision: number;
    linked: boolean;
    prevHash: string | null;
  }

  /**
   * Writes the event's link into its metadata and returns the event's hash: `linkedMetadataJson` and
   * `serialisedEventHash` of the ledger's hash chain, restated here because this program cannot
   * import (the store's tests compare the two).
   */
  const link = (event: WriteEvent, prevHash: string | null): string => {
    event.metadata = `${event.metadata},"prevHash":${prevHash === null ? 'null' : `"${prevHash}"`}}`;
    return hash('sha256', `[${JSON.stringify(event.id)},${JSON.stringify(event.type)},${event.data},${event.metadata}]`, 'hex');
  };

  const open = () => {
    const db = new Database(workerData.file as string);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${workerData.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    // A checkpoint every ~4 MiB of WAL, whatever the page size (SQLite counts pages: 1000 by default,
    // 16 MiB with 16 KiB pages, and the commit that runs it holds every append waiting behind it).
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round((workerData.checkpointBytes as number) / pageSize))}`);
    const lastRevision = db.prepare<[string], { revision: number }>('SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1');
    const findId = db.prepare<[string, string], { revision: number }>('SELECT revision FROM events WHERE stream = ? AND id = ?');
    const from = db.prepare<[string, number, number], { id: string; revision: number; position: number }>(
      'SELECT id, revision, position FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?',
    );
    const insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
    // As large as a big append, so a disk with a few free pages does not pass for writable.
    const probe = db.prepare('INSERT OR REPLACE INTO write_probe (id, at, pad) VALUES (1, ?, zeroblob(4194304))');

    /** An append whose every id already sits in the stream, in order, right after the expected revision, was made before. */
    const repeated = (item: WriteItem, ids: string[]): WriteOutcome | null => {
      const firstId = ids[0];
      if (firstId === undefined) return null;
      const start =
        item.expected === 'no_stream' ? 0 : item.expected === 'any' ? findId.get(item.stream, firstId)?.revision : Number(item.expected) + 1;
      if (start === undefined) return null;
      const rows = from.all(item.stream, start, ids.length);
      if (rows.length !== ids.length || rows.some((row, i) => row.id !== ids[i])) return null;
      const last = rows[rows.length - 1]!;
      return { ok: true, nextRevision: last.revision, position: last.position, first: null };
    };

    /**
     * Checks the append against its stream. `appending` is what its events are then written to, piece
     * by piece (`write`); null when it writes nothing (refused, or made before), so its pieces are skipped.
     */
    const begin = (item: WriteItem): { outcome: WriteOutcome; appending: Appending | null } => {
      const last = lastRevision.get(item.stream)?.revision;
      const matches = item.expected === 'any' || (item.expected === 'no_stream' ? last === undefined : last === Number(item.expected));
      // When the stream ends where expected, nothing after that point can repeat this append: no lookup.
      if (!matches || item.expected === 'any') {
        const again = repeated(item, item.ids ?? item.events.map((event) => event.id));
        if (again) return { outcome: again, appending: null };
        if (!matches) return { outcome: { ok: false, actual: last ?? 'no_stream' }, appending: null };
      }
      const linked = item.linkTo !== undefined;
      const revision = last ?? -1;
      const outcome = { ok: true as const, nextRevision: revision, position: -1, first: null, hashes: linked ? [] : undefined };
      return { outcome, appending: { stream: item.stream, outcome, revision, linked, prevHash: item.linkTo ?? null } };
    };

    const write = (appending: Appending, events: WriteEvent[]): void => {
      const outcome = appending.outcome;
      for (const event of events) {
        if (appending.linked) {
          appending.prevHash = link(event, appending.prevHash);
          outcome.hashes!.push(appending.prevHash);
        }
        appending.revision += 1;
        const inserted = insert.run(appending.stream, appending.revision, event.id, event.type, event.data, event.metadata);
        outcome.position = Number(inserted.lastInsertRowid);
        outcome.first ??= outcome.position;
      }
      outcome.nextRevision = appending.revision;
    };

    return {
      db,
      begin,
      write,
      statements: { begin: db.prepare('BEGIN'), commit: db.prepare('COMMIT') },
      probe: db.transaction(() => void probe.run(Date.now())),
    };
  };

  let connection: ReturnType<typeof open> | null = null;
  /** The transaction the parts received so far belong to. */
  interface Transaction {
    started: number;
    outcomes: WriteOutcome[];
    /** The append the next continuation belongs to; null when it writes nothing. */
    appending: Appending | null;
    /** Once a part could not be written: the rest are not, and the last is answered with this. */
    failed: WriteReply | null;
  }
  let transaction: Transaction | null = null;

  const failure = (error: unknown): WriteReply => {
    const code = (error as { code?: unknown }).code;
    return { ok: false, message: (error as Error).message, code: typeof code === 'string' ? code : null };
  };

  /**
   * A failed commit (a full disk, say) may leave the connection inside its transaction if the rollback
   * failed too: start the next one on a fresh connection rather than refuse every write from now on.
   */
  const letGo = (): void => {
    if (connection?.db.inTransaction) {
      try {
        connection.db.exec('ROLLBACK');
      } catch {
        // Closed below.
      }
    }
    if (connection?.db.inTransaction) {
      try {
        connection.db.close();
      } catch {
        // Nothing more to release.
      }
      connection = null;
    }
  };

  /** Writes one part of the transaction; with the last, commits and answers. */
  const receive = (part: WritePart): WriteReply | null => {
    const current = (transaction ??= { started: performance.now(), outcomes: [], appending: null, failed: null });
    if (!current.failed) {
      try {
        connection ??= open();
        if (!connection.db.inTransaction) connection.statements.begin.run();
        for (const piece of part.pieces) {
          if (!('continues' in piece)) {
            const { outcome, appending } = connection.begin(piece);
            current.outcomes.push(outcome);
            current.appending = appending;
          }
          if (current.appending) connection.write(current.appending, piece.events);
        }
        if (part.last) connection.statements.commit.run();
      } catch (error) {
        current.failed = failure(error);
        letGo();
      }
    }
    if (!part.last) return null;
    transaction = null;
    return current.failed ?? { ok: true, outcomes: current.outcomes, seconds: (performance.now() - current.started) / 1000 };
  };

  parentPort!.on('message', (request: WriterRequest) => {
    let reply: WriteReply | null;
    if (request.kind === 'part') reply = receive(request.part);
    else if (request.kind === 'abandon') {
      transaction = null;
      letGo();
      reply = { ok: false, message: 'the transaction was abandoned', code: null };
    } else {
      try {
        connection ??= open();
        const started = performance.now();
        connection.probe();
        reply = { ok: true, outcomes: [], seconds: (performance.now() - started) / 1000 };
      } catch (error) {
        reply = failure(error);
        letGo();
      }
    }
    if (reply) parentPort!.postMessage(reply);
  });
}
