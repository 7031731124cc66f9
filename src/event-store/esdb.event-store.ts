import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AppendExpectedRevision,
  type JSONType,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  AllSubscription,
  AppendResult,
  CommitTiming,
  EventStore,
  EventStoreUnavailableError,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeToAllOptions,
  WrongExpectedRevisionError,
} from './event-store.port.js';

export interface EsdbEventStoreOptions {
  /** e.g. `esdb://127.0.0.1:2113?tls=false`; only `esdb://` and `esdb+discover://` parse. */
  connectionString: string;
}

const PAGE = 500;
const PING_TIMEOUT_MS = 5_000;
/** gRPC status codes the client can hand back unconverted, e.g. from its server-features call. */
const GRPC_UNAVAILABLE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/**
 * EventStoreDB / KurrentDB over @eventstore/db-client 6.2.1. Our position is an event's commit
 * position. Needs a server that reports positions on stream reads (22.6+) and sends `caughtUp`
 * on subscriptions (23.10+).
 */
export class EsdbEventStore implements EventStore {
  readonly name = 'esdb';
  private readonly client: EventStoreDBClient;
  private readonly commitListeners: Array<(commit: CommitTiming) => void> = [];

  constructor(options: EsdbEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
  }

  onCommit(listener: (commit: CommitTiming) => void): void {
    this.commitListeners.push(listener);
  }

  async append(stream: string, events: EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    try {
      const started = performance.now();
      const result = await this.client.appendToStream(
        stream,
        events.map(({ id, type, data, metadata }) => jsonEvent({ id, type, data: data as JSONType, metadata })),
        { expectedRevision: toClientRevision(expectedRevision) },
      );
      const seconds = (performance.now() - started) / 1000;
      for (const listener of this.commitListeners) listener({ seconds, appends: 1 });
      // A repeated (idempotent) append may come back without a position: read the original's.
      const position = result.position?.commit ?? (await this.positionOf(stream, result.nextExpectedRevision));
      return { nextRevision: result.nextExpectedRevision, position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new WrongExpectedRevisionError(stream, expectedRevision, error.actualVersion);
      }
      throw toStoreError(error);
    }
  }

  private async positionOf(stream: string, revision: bigint): Promise<bigint> {
    for await (const event of this.readStream(stream, { direction: 'backwards', fromRevision: revision, maxCount: 1 })) {
      return event.position;
    }
    throw new Error(`Stream ${stream}: appended revision ${revision} could not be read back`);
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    const backwards = options.direction === 'backwards';
    const events = this.client.readStream(stream, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision ?? (backwards ? END : START),
      maxCount: options.maxCount,
    });
    try {
      for await (const resolved of events) yield toStoredEvent(resolved);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return;
      throw toStoreError(error);
    } finally {
      // A read left early keeps its gRPC call open, and client.dispose() waits for every open call.
      await events.cancel();
    }
  }

  async readAt(position: bigint): Promise<StoredEvent | undefined> {
    // Inclusive, as above: an event's own position reads that event first.
    const read = this.client.readAll({ fromPosition: toClientPosition(position), maxCount: 1 });
    try {
      for await (const resolved of read) {
        const event = toStoredEvent(resolved);
        return event.position === position && !isSystemEvent(event) ? event : undefined;
      }
      return undefined;
    } catch (error) {
      throw toStoreError(error);
    } finally {
      await read.cancel();
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    let after = options.after;
    let remaining = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    while (remaining > 0) {
      // The client's fromPosition is inclusive: each page starts with `after` itself, skipped below.
      const page = this.client.readAll({ fromPosition: toClientPosition(after), maxCount: PAGE });
      let read = 0;
      try {
        for await (const resolved of page) {
          read += 1;
          const event = toStoredEvent(resolved);
          if (event.position === after) continue;
          after = event.position;
          if (isSystemEvent(event)) continue;
          yield event;
          if (--remaining === 0) return;
        }
      } catch (error) {
        throw toStoreError(error);
      } finally {
        await page.cancel();
      }
      if (read < PAGE) return;
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    // Unlike readAll, a subscription starts strictly after fromPosition.
    const subscription = this.client.subscribeToAll({
      fromPosition: toClientPosition(options.after),
      filter: excludeSystemEvents(),
    });
    let stopped = false;
    const stop = async () => {
      stopped = true;
      await subscription.unsubscribe();
      subscription.destroy();
    };
    const caughtUp = new Promise<void>((resolve, reject) => {
      subscription.once('caughtUp', resolve);
      // Once we stopped it, a cancelled or destroyed stream is our doing, not the store failing.
      subscription.on('error', (error) => {
        if (!stopped) reject(toStoreError(error));
      });
    });
    // The same failure ends iteration with an error; awaiting caughtUp is optional.
    caughtUp.catch(() => undefined);

    async function* run(): AsyncGenerator<StoredEvent> {
      try {
        // Leaving the loop early is handled by stop(), which also cancels the gRPC call.
        for await (const resolved of subscription.iterator({ destroyOnReturn: false })) {
          const event = toStoredEvent(resolved as ResolvedEvent);
          if (!isSystemEvent(event)) yield event;
        }
        if (!stopped) throw new EventStoreUnavailableError('the $all subscription was ended by the server');
      } catch (error) {
        if (stopped) return;
        throw toStoreError(error);
      } finally {
        await stop();
      }
    }

    const iterator = run();
    return { caughtUp, [Symbol.asyncIterator]: () => iterator, close: stop };
  }

  async ping(): Promise<void> {
    // Reads are sent without a deadline by the client, so a silent server needs our own timer.
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    const timer = setTimeout(() => {
      read.destroy(new EventStoreUnavailableError(`EventStoreDB did not answer within ${PING_TIMEOUT_MS} ms`));
    }, PING_TIMEOUT_MS);
    try {
      for await (const _ of read) {
        // One event or none: either way the server answered.
      }
    } catch (error) {
      throw toStoreError(error);
    } finally {
      clearTimeout(timer);
      await read.cancel();
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}

function toClientRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  return expected;
}

/** Our positions are commit positions; the server writes commit = prepare for each event. */
function toClientPosition(position: bigint | undefined) {
  return position === undefined ? START : { commit: position, prepare: position };
}

function toStoredEvent({ event }: ResolvedEvent): StoredEvent {
  if (!event?.position) throw new Error('EventStoreDB returned an event without a position (server older than 22.6?)');
  return {
    id: event.id,
    type: event.type,
    streamName: event.streamId,
    revision: event.revision,
    position: event.position.commit,
    data: event.data,
    metadata: isRecord(event.metadata) ? event.metadata : {},
  };
}

/** `$`-typed events and `$`-streams belong to the server (epochs, settings, projections, links). */
function isSystemEvent(event: StoredEvent): boolean {
  return event.type.startsWith('$') || event.streamName.startsWith('$');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function toStoreError(error: unknown): unknown {
  if (error instanceof EventStoreUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const unavailable =
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof CancelledError ||
    (typeof code === 'number' && GRPC_UNAVAILABLE_CODES.has(code));
  if (!unavailable) return error;
  return new EventStoreUnavailableError(`EventStoreDB unavailable: ${(error as Error).message}`, { cause: error });
}
