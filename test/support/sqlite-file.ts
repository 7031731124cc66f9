import Database from 'better-sqlite3';

/** The page size an SQLite file was made with, read through a connection of its own. */
export function pageSizeOf(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}
