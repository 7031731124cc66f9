import Database from 'better-sqlite3';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { WAL_CHECKPOINT_BYTES } from './sqlite-writer.js';
import { WritebackPacer } from './writeback-pacer.js';

export type SqlDatabase = Database.Database;
export type SqlStatement<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

/**
 * The tables the projections create. A file made by another version of them is deleted and the
 * views rebuilt from the ledger: `CREATE TABLE IF NOT EXISTS` alone would keep the old shapes.
 */
export const READ_MODEL_SCHEMA = 5;

/**
 * Bytes per page of a new read-model file (SQLite's default is 4 KiB). A commit writes each page
 * it changed to the WAL with two system calls (frame header, page), and reads of pages not in the
 * cache are one each; the views write a kilobyte or more per delivery (the event's payload, the
 * delivery's row and their index entries) into many small pages. With 16 KiB pages a delivery costs
 * half the file system calls, which are dear on a virtual machine (measured: README, Performance).
 */
export const READ_MODEL_PAGE_SIZE = 16_384;

const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

export interface ReadModelOptions {
  /** The machine's boot id; `null`: none to compare (writes are synced). Read from the kernel when absent. */
  bootId?: string | null;
  /** A data sync of the file that failed (the file stays usable; it is only written back later). */
  onWritebackError?: (error: Error) => void;
}

export interface OpenedReadModel {
  db: SqlDatabase;
  /** Why an existing file was deleted to be rebuilt, if it was. */
  rebuiltBecause: string | null;
}

/**
 * The instance-local read-model store: a SQLite file that projections own. It holds nothing the
 * ledger does not: deleting it and starting again rebuilds it.
 *
 * One connection, in exclusive locking mode: it takes the file's lock once and keeps the WAL index
 * in its own memory, so a transaction makes no lock calls on shared memory. It also means no other
 * process opens the file while the service runs: not a second instance on the same data directory,
 * and the rebuild command only with the service stopped, as documented.
 *
 * Writes are not synced (`synchronous = OFF`): a commit is a few `write` calls, and the WAL
 * checkpoints, which would otherwise sync the WAL and the file a few times a second under load,
 * sync nothing. A process that dies (kill -9, out of memory, a crash) loses nothing by it: what it
 * wrote is in the operating system's cache, which the next start reads. Only the machine going down
 * can lose those writes, and a restart of the machine changes its boot id: a file that was open
 * under another boot id and not closed cleanly is deleted and rebuilt from the ledger. A clean close
 * syncs everything first. Where there is no boot id to compare, writes are synced as before
 * (`synchronous = NORMAL`). Unsynced, the file's dirty pages are written back at a steady pace
 * (`WritebackPacer`), not left for the kernel to flush in one burst.
 */
export function openReadModelDatabase(file: string, options: ReadModelOptions = {}): OpenedReadModel {
  const bootId = options.bootId === undefined ? currentBootId() : options.bootId;
  const rebuiltBecause = existsSync(file) ? reasonToRebuild(file, bootId) : null;
  if (rebuiltBecause) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const db = new Database(file);
  // Taken by a new file only (one an earlier version made keeps its pages; the rebuild command makes new ones).
  db.pragma(`page_size = ${READ_MODEL_PAGE_SIZE}`);
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  // A checkpoint every ~4 MiB of WAL whatever the page size, as the ledger's: SQLite counts 1000 pages,
  // which with 16 KiB pages lets the WAL grow to 16 MiB on disk between checkpoints.
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round(WAL_CHECKPOINT_BYTES / pageSize))}`);
  db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position TEXT NOT NULL)');
  db.exec('CREATE TABLE IF NOT EXISTS read_model_file (id INTEGER PRIMARY KEY CHECK (id = 1), boot_id TEXT, closed INTEGER NOT NULL)');
  db.pragma(`user_version = ${READ_MODEL_SCHEMA}`);
  // Marked open under this boot, durably, before anything is written unsynced.
  db.pragma('synchronous = FULL');
  db.prepare('INSERT INTO read_model_file (id, boot_id, closed) VALUES (1, ?, 0) ON CONFLICT (id) DO UPDATE SET boot_id = excluded.boot_id, closed = 0').run(
    bootId,
  );
  db.pragma(bootId === null ? 'synchronous = NORMAL' : 'synchronous = OFF');
  if (bootId !== null && !db.memory) {
    const pacer = new WritebackPacer([file, `${file}-wal`], options.onWritebackError ?? (() => undefined));
    pacer.start();
    pacers.set(db, pacer);
  }
  return { db, rebuiltBecause };
}

const pacers = new WeakMap<SqlDatabase, WritebackPacer>();

/** Syncs what was written unsynced, then marks the file closed cleanly. */
export function closeReadModelDatabase(db: SqlDatabase): void {
  pacers.get(db)?.stop();
  if (!db.open) return;
  // Batches the projection runner applied and did not commit: without their checkpoint, they are
  // dropped and applied again at the next start.
  if (db.inTransaction) db.exec('ROLLBACK');
  db.pragma('synchronous = FULL');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.prepare('UPDATE read_model_file SET closed = 1').run();
  db.close();
}

function reasonToRebuild(file: string, bootId: string | null): string | null {
  let db: SqlDatabase | null = null;
  try {
    // Read-write: a WAL left by a process that died is recovered by this connection and folded in when it closes.
    db = new Database(file, { fileMustExist: true });
    const hasTables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n > 0;
    if (!hasTables) return null;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== READ_MODEL_SCHEMA) return `the file's views are of schema ${version}; this version builds schema ${READ_MODEL_SCHEMA}`;
    const marker = db.prepare('SELECT boot_id AS bootId, closed FROM read_model_file WHERE id = 1').get() as
      { bootId: string | null; closed: number } | undefined;
    if (!marker) return 'the file has no open/closed marker';
    if (marker.closed !== 1 && marker.bootId !== null && marker.bootId !== bootId) {
      return 'the machine restarted while the file was open: its last unsynced writes may be lost';
    }
    return null;
  } catch (error) {
    return `the file cannot be read (${(error as Error).message})`;
  } finally {
    db?.close();
  }
}

function currentBootId(): string | null {
  try {
    return readFileSync(BOOT_ID_FILE, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

const statements = new WeakMap<SqlDatabase, Map<string, SqlStatement>>();

/** A statement prepared once per database: projections run the same few statements per event. */
export function prepared(db: SqlDatabase, sql: string): SqlStatement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
