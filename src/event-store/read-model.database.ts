import Database from 'better-sqlite3';

export type SqlDatabase = Database.Database;
export type SqlStatement<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

/**
 * The instance-local read-model store: a SQLite file that projections own. It holds nothing the
 * ledger does not: deleting it and starting again rebuilds it, so a crash that loses its last
 * transactions (synchronous NORMAL) costs a little replay, never data.
 *
 * One connection, in exclusive locking mode: it takes the file's lock once and keeps the WAL index
 * in its own memory, so a transaction makes no lock calls on shared memory (at a few thousand small
 * batches a second, those were a large part of each commit and of the latency tail). It also means
 * no other process opens the file while the service runs: not a second instance on the same data
 * directory, and the rebuild command only with the service stopped, as documented.
 */
export function openReadModelDatabase(file: string): SqlDatabase {
  const db = new Database(file);
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position TEXT NOT NULL)');
  return db;
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
