import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite.event-store.js';
import { Ledger } from '../../src/ledger/ledger.service.js';

export interface SeedOptions {
  tenantId: string;
  streams: number;
  eventsPerStream: number;
  /** Characters of filler in each event's data. */
  payloadChars: number;
}

/**
 * Writes a tenant's events straight into `<dataDir>/ledger.db` through the real store and the
 * ledger's own chaining (metadata, prevHash), one append per stream. For a ledger too large to
 * build through the API in a test's time.
 */
export async function seedLedger(dataDir: string, options: SeedOptions): Promise<number> {
  const store = new SqliteEventStore({ file: join(dataDir, 'ledger.db'), synchronous: 'normal' });
  const ledger = new Ledger(store);
  const filler = 'x'.repeat(options.payloadChars);
  const context = { actor: { type: 'system' as const, reason: 'seed' }, correlationId: 'seed', tenantId: options.tenantId, now: new Date() };
  try {
    for (let s = 0; s < options.streams; s++) {
      const events = Array.from({ length: options.eventsPerStream }, (_, n) => ({ type: 'LoadSeeded', data: { stream: s, n, filler } }));
      await ledger.append(`seed-${s}`, events, 'no_stream', null, context);
    }
  } finally {
    await store.close();
  }
  return options.streams * options.eventsPerStream;
}
