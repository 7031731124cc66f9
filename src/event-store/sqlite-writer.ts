import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** One append as it crosses to the writer thread: data and metadata already serialised. */
export interface WriteItem {
  stream: string;
  /** `any`, `no_stream` or a revision in decimal. */
  expected: string;
  /**
   * When a string or null, the thread links the events into the hash chain, the first to this
   * hash: each event's `metadata` is then the head of its JSON (`linkedMetadataJson`).
   */
  linkTo?: string | null;
  events: Array<{ id: string; type: string; data: string; metadata: string }>;
}

export type WriteOutcome =
  /**
   * `first` is the position of the first written event (they are consecutive); null when nothing was
   * written. `hashes`: of the written events, when the thread linked them.
   */
  | { ok: true; nextRevision: number; position: number; first: number | null; hashes?: string[] }
  | { ok: false; actual: number | 'no_stream' };

type WriterRequest = { kind: 'commit'; items: WriteItem[] } | { kind: 'probe' };

export type WriteReply =
  /** `seconds`: the transaction, its commit and fsync included, as the writer thread timed it. */
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

  /** Commits the items in one transaction; each outcome answers the item at its index. */
  commit(items: WriteItem[]): Promise<WriteReply> {
    return this.send({ kind: 'commit', items });
  }

  /** Writes (and rolls back nothing of) a 4 MiB probe row through the writer's connection: can the ledger write? */
  probe(): Promise<WriteReply> {
    return this.send({ kind: 'probe' });
  }

  private send(request: WriterRequest): Promise<WriteReply> {
    if (this.pending) throw new Error('the writer thread already has a request');
    const worker = this.worker ?? this.start();
    worker.ref();
    return new Promise((resolve) => {
      this.pending = { resolve };
      worker.postMessage(request);
    });
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

  /**
   * Writes each event's link into its metadata and returns the events' hashes: `linkedMetadataJson`
   * and `serialisedEventHash` of the ledger's hash chain, restated here because this program cannot
   * import (the store's tests compare the two).
   */
  const link = (item: WriteItem, prevHash: string | null): string[] => {
    const hashes: string[] = [];
    let prev = prevHash;
    for (const event of item.events) {
      event.metadata = `${event.metadata},"prevHash":${prev === null ? 'null' : `"${prev}"`}}`;
      prev = hash('sha256', `[${JSON.stringify(event.id)},${JSON.stringify(event.type)},${event.data},${event.metadata}]`, 'hex');
      hashes.push(prev);
    }
    return hashes;
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
    const repeated = (item: WriteItem): WriteOutcome | null => {
      const firstId = item.events[0]?.id;
      if (firstId === undefined) return null;
      const start =
        item.expected === 'no_stream' ? 0 : item.expected === 'any' ? findId.get(item.stream, firstId)?.revision : Number(item.expected) + 1;
      if (start === undefined) return null;
      const rows = from.all(item.stream, start, item.events.length);
      if (rows.length !== item.events.length || rows.some((row, i) => row.id !== item.events[i]!.id)) return null;
      const last = rows[rows.length - 1]!;
      return { ok: true, nextRevision: last.revision, position: last.position, first: null };
    };

    const appendOne = (item: WriteItem): WriteOutcome => {
      const last = lastRevision.get(item.stream)?.revision;
      const matches = item.expected === 'any' || (item.expected === 'no_stream' ? last === undefined : last === Number(item.expected));
      // When the stream ends where expected, nothing after that point can repeat this append: no lookup.
      if (!matches || item.expected === 'any') {
        const again = repeated(item);
        if (again) return again;
        if (!matches) return { ok: false, actual: last ?? 'no_stream' };
      }
      const hashes = item.linkTo === undefined ? undefined : link(item, item.linkTo);
      let revision = last ?? -1;
      let first: number | null = null;
      let position = -1;
      for (const event of item.events) {
        revision += 1;
        position = Number(insert.run(item.stream, revision, event.id, event.type, event.data, event.metadata).lastInsertRowid);
        first ??= position;
      }
      return { ok: true, nextRevision: revision, position, first, hashes };
    };

    return {
      db,
      commit: db.transaction((items: WriteItem[]) => items.map(appendOne)),
      probe: db.transaction(() => void probe.run(Date.now())),
    };
  };

  let connection: ReturnType<typeof open> | null = null;

  parentPort!.on('message', (request: WriterRequest) => {
    let reply: WriteReply;
    try {
      connection ??= open();
      const started = performance.now();
      const outcomes = request.kind === 'commit' ? connection.commit(request.items) : (connection.probe(), []);
      reply = { ok: true, outcomes, seconds: (performance.now() - started) / 1000 };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      reply = { ok: false, message: (error as Error).message, code: typeof code === 'string' ? code : null };
      // A failed commit (a full disk, say) may leave the connection inside its transaction if the rollback failed
      // too: start the next one on a fresh connection rather than refuse every write from now on.
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
    }
    parentPort!.postMessage(reply);
  });
}
