import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pageSizeOf } from '../../test/support/sqlite-file.js';
import { closeReadModelDatabase, openReadModelDatabase, READ_MODEL_PAGE_SIZE, READ_MODEL_SCHEMA } from './read-model.database.js';
import { WAL_CHECKPOINT_BYTES } from './sqlite-writer.js';

describe('read-model file', () => {
  const dirs: string[] = [];
  const fileIn = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookledger-read-model-'));
    dirs.push(dir);
    return join(dir, 'read-model.db');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A file with one view row, left as a process leaves it: closed cleanly, or not (kill -9). */
  const leave = (file: string, bootId: string | null, how: 'closed' | 'crashed') => {
    const { db } = openReadModelDatabase(file, { bootId });
    db.exec('CREATE TABLE view (n INTEGER)');
    db.prepare('INSERT INTO view (n) VALUES (42)').run();
    // A crash is a close without the clean close's sync and mark (the e2e crash test kills a real process).
    if (how === 'closed') closeReadModelDatabase(db);
    else db.close();
  };
  /** An empty file as an earlier version made it: SQLite's default 4 KiB pages, in WAL mode. */
  const madeWithDefaultPages = () => {
    const file = fileIn();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.close();
    return file;
  };
  const rows = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare("SELECT name FROM sqlite_master WHERE name = 'view'").get() ? db.prepare('SELECT n FROM view').all() : [];
    } finally {
      db.close();
    }
  };

  it('writes unsynced while there is a boot id to check, and synced where there is none', () => {
    const withBoot = openReadModelDatabase(fileIn(), { bootId: 'boot-a' }).db;
    expect(withBoot.pragma('synchronous', { simple: true })).toBe(0);
    closeReadModelDatabase(withBoot);
    const without = openReadModelDatabase(fileIn(), { bootId: null }).db;
    expect(without.pragma('synchronous', { simple: true })).toBe(1);
    closeReadModelDatabase(without);
  });

  it('keeps the views after the process died, on the same boot', () => {
    const file = fileIn();
    leave(file, 'boot-a', 'crashed');
    const opened = openReadModelDatabase(file, { bootId: 'boot-a' });
    expect(opened.rebuiltBecause).toBeNull();
    expect(opened.db.prepare('SELECT n FROM view').all()).toEqual([{ n: 42 }]);
    closeReadModelDatabase(opened.db);
  });

  it('deletes the views when the machine restarted while they were open', () => {
    const file = fileIn();
    leave(file, 'boot-a', 'crashed');
    const opened = openReadModelDatabase(file, { bootId: 'boot-b' });
    expect(opened.rebuiltBecause).toMatch(/machine restarted/);
    closeReadModelDatabase(opened.db);
    expect(rows(file)).toEqual([]);
  });

  it('keeps the views closed cleanly before the machine restarted', () => {
    const file = fileIn();
    leave(file, 'boot-a', 'closed');
    const opened = openReadModelDatabase(file, { bootId: 'boot-b' });
    expect(opened.rebuiltBecause).toBeNull();
    closeReadModelDatabase(opened.db);
    expect(rows(file)).toEqual([{ n: 42 }]);
  });

  it('deletes views built for another schema', () => {
    const file = fileIn();
    leave(file, 'boot-a', 'closed');
    const old = new Database(file);
    old.pragma(`user_version = ${READ_MODEL_SCHEMA - 1}`);
    old.close();
    const opened = openReadModelDatabase(file, { bootId: 'boot-a' });
    expect(opened.rebuiltBecause).toMatch(new RegExp(`schema ${READ_MODEL_SCHEMA - 1}`));
    closeReadModelDatabase(opened.db);
    expect(rows(file)).toEqual([]);
  });

  it('makes a new file with 16 KiB pages, and keeps the pages of a file an earlier version made', () => {
    const fresh = fileIn();
    leave(fresh, 'boot-a', 'closed');
    expect(READ_MODEL_PAGE_SIZE).toBe(16_384);
    expect(pageSizeOf(fresh)).toBe(READ_MODEL_PAGE_SIZE);

    const older = madeWithDefaultPages();
    leave(older, 'boot-a', 'closed');
    expect(pageSizeOf(older)).toBe(4096);
    const opened = openReadModelDatabase(older, { bootId: 'boot-a' });
    expect(opened.rebuiltBecause).toBeNull();
    expect(opened.db.prepare('SELECT n FROM view').all()).toEqual([{ n: 42 }]);
    closeReadModelDatabase(opened.db);
  });

  it('checkpoints its WAL every ~4 MiB whatever the page size', () => {
    const older = madeWithDefaultPages();
    for (const file of [fileIn(), older]) {
      const { db } = openReadModelDatabase(file, { bootId: null });
      db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)');
      const insert = db.prepare('INSERT INTO blobs (body) VALUES (zeroblob(?))');
      // 12 MiB in commits of 128 KiB: without checkpoints every 4 MiB, a WAL of 16 KiB pages grows to all of it.
      for (let i = 0; i < 96; i++) insert.run(128 * 1024);
      expect(statSync(`${file}-wal`).size, `WAL of a file with ${db.pragma('page_size', { simple: true })}-byte pages`).toBeLessThan(WAL_CHECKPOINT_BYTES * 1.25);
      closeReadModelDatabase(db);
    }
  });
});
