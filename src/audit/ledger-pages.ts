import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EventStore, StoredEvent } from '../event-store/event-store.port.js';

/**
 * The whole ledger in global order, one page in memory at a time. Between pages it yields to the
 * event loop: the embedded store reads synchronously, and a long walk must not starve requests or
 * the projection runner. `after` is exclusive; -1n starts at the very beginning.
 */
export async function* ledgerPages(store: EventStore, size: number, after = -1n): AsyncGenerator<StoredEvent[]> {
  let from = after;
  for (;;) {
    const page: StoredEvent[] = [];
    for await (const event of store.readAll(from >= 0n ? { after: from, maxCount: size } : { maxCount: size })) page.push(event);
    if (page.length > 0) yield page;
    if (page.length < size) return;
    from = page[page.length - 1]!.position;
    await nextTurn();
  }
}
