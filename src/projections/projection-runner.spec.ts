import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../event-store/event-store.port.js';
import { closeReadModelDatabase, openReadModelDatabase, type SqlDatabase } from '../event-store/read-model.database.js';
import { SqliteEventStore } from '../event-store/sqlite.event-store.js';
import type { Projection } from './projection.js';
import { ProjectionRunner } from './projection-runner.js';

/**
 * Writes a row per event. While `refuseCommits` is set it also leaves a row that breaks a deferred
 * foreign key: the batch applies, and the commit that would carry it is refused.
 */
class Tally implements Projection {
  readonly name = 'tally';
  refuseCommits = false;
  /** A bug: the projection throws on this number, after writing its row. */
  throwsOn: number | null = null;
  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS tally (position INTEGER PRIMARY KEY, n INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS owner (id INTEGER PRIMARY KEY);
      CREATE TABLE IF NOT EXISTS owned (owner_id INTEGER REFERENCES owner (id) DEFERRABLE INITIALLY DEFERRED);
    `);
  }
  apply(db: SqlDatabase, event: StoredEvent): void {
    db.prepare('INSERT INTO tally (position, n) VALUES (?, ?)').run(event.position, (event.data as { n: number }).n);
    if (this.refuseCommits) db.prepare('INSERT INTO owned (owner_id) VALUES (404)').run();
    if ((event.data as { n: number }).n === this.throwsOn) throw new Error(`cannot count ${this.throwsOn}`);
  }
}

describe('projection runner', () => {
  const dirs: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function started() {
    const dir = mkdtempSync(join(tmpdir(), 'hookledger-runner-'));
    dirs.push(dir);
    const store = new SqliteEventStore({ file: join(dir, 'ledger.db'), synchronous: 'normal' });
    const { db } = openReadModelDatabase(join(dir, 'read-model.db'), { bootId: 'boot' });
    db.pragma('foreign_keys = ON');
    const runner = new ProjectionRunner(store, db);
    const tally = new Tally();
    runner.register(tally);
    runner.start();
    cleanups.push(async () => {
      await runner.onApplicationShutdown();
      await store.close();
      closeReadModelDatabase(db);
    });
    const publish = async (n: number) => (await store.append(`s-${n}`, [{ id: crypto.randomUUID(), type: 'Counted', data: { n }, metadata: {} }], 'no_stream')).position;
    const tallied = () => db.prepare('SELECT n FROM tally ORDER BY position').pluck().all() as number[];
    return { runner, db, tally, publish, tallied };
  }

  it('shows an applied batch at once, and commits it with the checkpoint shortly after', async () => {
    const { runner, db, publish, tallied } = await started();
    await runner.waitFor(await publish(1));
    expect(tallied()).toEqual([1]);
    await expect.poll(() => db.inTransaction, { timeout: 1000 }).toBe(false);
    expect(db.prepare("SELECT position FROM checkpoints WHERE name = 'all'").pluck().get()).toBe(runner.checkpoint.toString());
  });

  it('applies again, exactly once, the batches of a commit the store refused', async () => {
    const { runner, tally, publish, tallied } = await started();
    await runner.waitFor(await publish(1));
    await expect.poll(() => runner.status).toBe('live');
    tally.refuseCommits = true;
    await publish(2);
    await publish(3);
    await expect.poll(() => runner.status, { timeout: 2000 }).toBe('stalled');
    tally.refuseCommits = false;
    const last = await publish(4);
    await runner.waitFor(last).catch(() => undefined);
    await expect.poll(() => runner.status === 'live' && runner.checkpoint >= last, { timeout: 5000 }).toBe(true);
    expect(tallied()).toEqual([1, 2, 3, 4]);
  });

  it('stays stalled while the store refuses, however often a retry applies the batches in memory', async () => {
    const { runner, tally, publish } = await started();
    await runner.waitFor(await publish(1));
    await expect.poll(() => runner.status).toBe('live');
    const seen: string[] = [];
    let status = runner.status;
    Object.defineProperty(runner, 'status', {
      get: () => status,
      set: (value: typeof status) => {
        if (value !== status) seen.push(value);
        status = value;
      },
    });
    tally.refuseCommits = true;
    await publish(2);
    await expect.poll(() => runner.status, { timeout: 2000 }).toBe('stalled');
    // Retries after 100, 200 and 400 ms each apply the batches again, and each commit is refused.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(seen).toEqual(['stalled']);
    tally.refuseCommits = false;
    await expect.poll(() => runner.status, { timeout: 5000 }).toBe('live');
    expect(seen).toEqual(['stalled', 'live']);
  });

  it('parks on a projection that throws, with the batches before it committed and none of its writes', async () => {
    const { runner, db, tally, publish, tallied } = await started();
    await runner.waitFor(await publish(1));
    await expect.poll(() => db.inTransaction, { timeout: 1000 }).toBe(false);
    tally.throwsOn = 3;
    const second = await publish(2);
    await runner.waitFor(second);
    // Applied, and (within the commit delay) most likely not yet committed when the next batch throws.
    await publish(3);
    await expect.poll(() => runner.status, { timeout: 2000 }).toBe('failed');
    await publish(4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(db.inTransaction).toBe(false);
    expect(tallied()).toEqual([1, 2]);
    expect(db.prepare("SELECT position FROM checkpoints WHERE name = 'all'").pluck().get()).toBe(second.toString());
    expect(runner.checkpoint).toBe(second);
  });
});
