import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/event-store/sqlite.event-store.js';
import { eventStoreContract } from './event-store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'hookledger-contract-'));

eventStoreContract({
  label: 'sqlite (embedded, better-sqlite3)',
  open: async () => new SqliteEventStore({ file: join(dir, 'ledger.db'), synchronous: 'full' }),
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
});
