import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { LedgerRow } from './ledger-file.js';

/**
 * Edits the embedded ledger file behind the service's back, as an attacker with disk access
 * would. Only with the service stopped.
 */
export class LedgerTamper {
  constructor(private readonly dataDir: string) {}

  row(stream: string, revision: number): LedgerRow {
    const row = this.open((db) => db.prepare('SELECT * FROM events WHERE stream = ? AND revision = ?').get(stream, revision)) as LedgerRow | undefined;
    if (!row) throw new Error(`no event ${stream}@${revision} in the ledger file`);
    return row;
  }

  /** Rewrites an event's data (parsed, changed by `change`, serialised again). */
  alterData(stream: string, revision: number, change: (data: any) => void): LedgerRow {
    return this.rewriteData(stream, revision, (text) => {
      const data = JSON.parse(text);
      change(data);
      return JSON.stringify(data);
    });
  }

  /** Rewrites an event's stored data text as it is (`change` gets and returns the text). */
  rewriteData(stream: string, revision: number, change: (text: string) => string): LedgerRow {
    const original = this.row(stream, revision);
    this.open((db) => db.prepare('UPDATE events SET data = ? WHERE position = ?').run(change(original.data), original.position));
    return original;
  }

  delete(stream: string, revision: number): LedgerRow {
    const original = this.row(stream, revision);
    this.open((db) => db.prepare('DELETE FROM events WHERE position = ?').run(original.position));
    return original;
  }

  /** Puts a row back exactly as it was, at its position. */
  restore(row: LedgerRow): void {
    this.open((db) =>
      db
        .prepare('INSERT OR REPLACE INTO events (position, stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(row.position, row.stream, row.revision, row.id, row.type, row.data, row.metadata),
    );
  }

  private open<T>(work: (db: Database.Database) => T): T {
    const db = new Database(join(this.dataDir, 'ledger.db'), { fileMustExist: true });
    try {
      return work(db);
    } finally {
      db.close();
    }
  }
}
