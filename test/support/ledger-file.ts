import Database from 'better-sqlite3';
import { join } from 'node:path';

export interface LedgerRow {
  position: number;
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/** Reads the embedded ledger file directly: evidence of what is durable, independent of the service. */
export function readLedger(dataDir: string): LedgerRow[] {
  const db = new Database(join(dataDir, 'ledger.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM events ORDER BY position').all() as LedgerRow[];
  } finally {
    db.close();
  }
}

/** Every read-model table's rows, sorted, checkpoints aside: two of these compare views. */
export function dumpReadModel(dataDir: string): Record<string, unknown[]> {
  const db = new Database(join(dataDir, 'read-model.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('checkpoints', 'read_model_file') ORDER BY name")
      .all() as Array<{ name: string }>;
    return Object.fromEntries(
      tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY 1`).all()]),
    );
  } finally {
    db.close();
  }
}

/** The events of one stream in the ledger file, data and metadata parsed. */
export function readStream(dataDir: string, stream: string): Array<{ type: string; data: any; metadata: any; revision: number }> {
  return readLedger(dataDir)
    .filter((row) => row.stream === stream)
    .map((row) => ({ type: row.type, data: JSON.parse(row.data), metadata: JSON.parse(row.metadata), revision: Number(row.revision) }));
}
