import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { EventStore } from './event-store.port.js';
import { SqliteEventStore } from './sqlite.event-store.js';

/** The configured adapter. The EventStoreDB client (gRPC) is loaded only when it is chosen. */
export async function createEventStore(config: Config): Promise<EventStore> {
  if (config.eventStore === 'esdb') {
    const { EsdbEventStore } = await import('./esdb.event-store.js');
    return new EsdbEventStore({ connectionString: config.esdbUrl });
  }
  return new SqliteEventStore({ file: join(config.dataDir, 'ledger.db'), synchronous: config.sqliteSynchronous });
}
