import { Inject, Injectable } from '@nestjs/common';
import type { Writable } from 'node:stream';
import { EVENT_STORE, type EventStore, type StoredEvent } from '../../event-store/event-store.port.js';
import { withoutSecrets } from '../domain/ledger-redaction.js';
import { ledgerPages } from '../ledger-pages.js';
import { inWindow, type TimeWindow } from '../time-window.js';

const PAGE = 256;
/** Lines are sent in chunks of about this many characters: fewer, larger writes than one per line. */
const CHUNK = 64 * 1024;

/** One exported line: the event as stored, bigints as strings, secrets stripped. */
function exportLine(event: StoredEvent): string {
  return (
    JSON.stringify({
      position: event.position.toString(),
      stream: event.streamName,
      revision: event.revision.toString(),
      id: event.id,
      type: event.type,
      data: withoutSecrets(event.type, event.data),
      metadata: event.metadata,
    }) + '\n'
  );
}

/**
 * The tenant's ledger events as NDJSON, in ledger order (SPEC §3 Audit). The ledger is read a page
 * at a time and each chunk waits for the client to take the previous one, so the memory an export
 * holds is a page and a chunk, whatever the size of the ledger.
 */
@Injectable()
export class LedgerExportQuery {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Resolves when every line is written, or early when `out` closed (the client went away). */
  async write(tenantId: string, window: TimeWindow, out: Writable): Promise<void> {
    const sink = new Sink(out);
    for await (const page of ledgerPages(this.store, PAGE)) {
      for (const event of page) {
        if (event.metadata.tenantId !== tenantId || !inWindow(event.metadata.occurredAt, window)) continue;
        if (!(await sink.add(exportLine(event)))) return;
      }
      if (!(await sink.flush())) return;
    }
  }
}

/** Buffers lines into chunks and honours the stream's backpressure. */
class Sink {
  private chunk = '';
  private closed = false;

  constructor(private readonly out: Writable) {
    out.once('close', () => (this.closed = true));
  }

  /** False once the stream is closed: stop producing. */
  async add(line: string): Promise<boolean> {
    this.chunk += line;
    return this.chunk.length < CHUNK ? !this.closed : this.flush();
  }

  async flush(): Promise<boolean> {
    if (this.closed) return false;
    if (this.chunk === '') return true;
    const written = this.out.write(this.chunk);
    this.chunk = '';
    if (!written) await this.drained();
    return !this.closed;
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('close', done);
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('close', done);
    });
  }
}
