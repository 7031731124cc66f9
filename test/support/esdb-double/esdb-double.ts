/**
 * A PROTOCOL TEST DOUBLE. It is not EventStoreDB, and passing tests against it prove nothing about
 * a real server.
 *
 * An in-process @grpc/grpc-js server answering the calls @eventstore/db-client 6.2.1 makes for our
 * adapter: ServerFeatures.GetSupportedMethods, Streams.BatchAppend (advertised, so the client never
 * uses Streams.Append) and Streams.Read (stream reads, $all reads, $all catch-up subscriptions).
 * Its answers encode one reading of the server's behaviour, taken from the client's source and the
 * server's documented semantics:
 * - expected revision any / no_stream / stream_exists / exact, conflicts as the packed
 *   `WrongExpectedVersion` status the client turns into WrongExpectedVersionError;
 * - a repeated append whose ids already follow the expected revision succeeds and writes nothing,
 *   answered without a position; a partly repeated one is a conflict;
 * - positions are invented byte-like offsets with gaps, commit = prepare per event; an append
 *   answers commit = its last event, prepare = its first;
 * - subscriptions: confirmation, catch-up strictly after the position, a checkpoint every
 *   32 × multiplier scanned events and at the end of catch-up when filtered, caughtUp, then live.
 * Absent: ACLs, deletes, links and projections, stream subscriptions, persistent subscriptions,
 * Streams.Append, fellBehind, backpressure. One `$`-event stands in for what a real server writes.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import type * as CodePb from '@eventstore/db-client/generated/code_pb.js';
import type * as FeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import type * as FeaturesPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import type * as SharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type * as StatusPb from '@eventstore/db-client/generated/status_pb.js';
import type * as StreamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import type * as StreamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type * as AnyPb from 'google-protobuf/google/protobuf/any_pb.js';

// The client's serializers check `instanceof`: load the very modules the client loaded.
const requireCjs = createRequire(import.meta.url);
const generated = (file: string): unknown => requireCjs(`@eventstore/db-client/generated/${file}`);
const { Code } = generated('code_pb.js') as typeof CodePb;
const features = generated('serverfeatures_pb.js') as typeof FeaturesPb;
const { ServerFeaturesService } = generated('serverfeatures_grpc_pb.js') as typeof FeaturesGrpc;
const { Empty, StreamIdentifier, UUID, AllStreamPosition, WrongExpectedVersion } = generated(
  'shared_pb.js',
) as typeof SharedPb;
const { Status } = generated('status_pb.js') as typeof StatusPb;
const { StreamsService } = generated('streams_grpc_pb.js') as typeof StreamsGrpc;
const { ReadReq, ReadResp, BatchAppendReq, BatchAppendResp } = generated('streams_pb.js') as typeof StreamsPb;
const { Any } = createRequire(requireCjs.resolve('@eventstore/db-client/generated/status_pb.js'))(
  'google-protobuf/google/protobuf/any_pb.js',
) as typeof AnyPb;

type ReadRequest = StreamsPb.ReadReq;
type ReadResponse = StreamsPb.ReadResp;
type ReadOptions = StreamsPb.ReadReq.Options;

interface Proposed {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
}

interface Recorded extends Proposed {
  stream: string;
  revision: bigint;
  position: bigint;
  /** .NET ticks (100 ns) since the Unix epoch, as the server sends `created`. */
  created: bigint;
}

type Expected = { kind: 'any' | 'no_stream' | 'stream_exists' } | { kind: 'revision'; revision: bigint };

type AppendOutcome =
  | { kind: 'written'; revision: bigint; commit: bigint; prepare: bigint }
  | { kind: 'repeated'; revision: bigint | undefined }
  | { kind: 'conflict'; current: bigint | undefined };

const CHECKPOINT_WINDOW = 32;

class Ledger {
  readonly all: Recorded[] = [];
  private readonly streams = new Map<string, Recorded[]>();
  private readonly listeners = new Set<(event: Recorded) => void>();
  private nextPosition = 4_096n;

  constructor() {
    this.write('$double-system', [
      { id: randomUUID(), type: '$double-started', contentType: 'application/json', data: json({}), metadata: json({}) },
    ]);
  }

  stream(name: string): Recorded[] | undefined {
    return this.streams.get(name);
  }

  append(stream: string, expected: Expected, proposed: Proposed[]): AppendOutcome {
    const events = this.streams.get(stream) ?? [];
    const current = events.length === 0 ? undefined : BigInt(events.length - 1);
    const repeated = repeatedAppend(events, expected, proposed);
    if (repeated === 'partial') return { kind: 'conflict', current };
    if (repeated !== undefined) return { kind: 'repeated', revision: repeated };
    if (!expectationHolds(expected, current)) return { kind: 'conflict', current };
    if (proposed.length === 0) return { kind: 'repeated', revision: current };
    const written = this.write(stream, proposed);
    const last = written[written.length - 1]!;
    return { kind: 'written', revision: last.revision, commit: last.position, prepare: written[0]!.position };
  }

  onWrite(listener: (event: Recorded) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private write(stream: string, proposed: Proposed[]): Recorded[] {
    const events = this.streams.get(stream) ?? [];
    this.streams.set(stream, events);
    const written = proposed.map((p) => {
      const record = { ...p, stream, revision: BigInt(events.length), position: this.nextPosition, created: ticksNow() };
      this.nextPosition += BigInt(128 + p.data.length + p.metadata.length);
      events.push(record);
      this.all.push(record);
      return record;
    });
    for (const record of written) for (const listener of [...this.listeners]) listener(record);
    return written;
  }
}

/** The revision of the last event when `proposed` already follows where `expected` puts it. */
function repeatedAppend(events: Recorded[], expected: Expected, proposed: Proposed[]): bigint | 'partial' | undefined {
  if (proposed.length === 0) return undefined;
  const start =
    expected.kind === 'revision'
      ? Number(expected.revision) + 1
      : expected.kind === 'no_stream'
        ? 0
        : events.findIndex((e) => e.id === proposed[0]!.id);
  if (start < 0) return undefined;
  let matching = 0;
  while (matching < proposed.length && events[start + matching]?.id === proposed[matching]!.id) matching += 1;
  if (matching === proposed.length) return BigInt(start + matching - 1);
  return matching > 0 ? 'partial' : undefined;
}

function expectationHolds(expected: Expected, current: bigint | undefined): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'no_stream':
      return current === undefined;
    case 'stream_exists':
      return current !== undefined;
    case 'revision':
      return current === expected.revision;
  }
}

function getSupportedMethods(_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void {
  const methods = ['read', 'batchappend'].map((method) =>
    new features.SupportedMethod().setServiceName('event_store.client.streams.streams').setMethodName(method),
  );
  callback(null, new features.SupportedMethods().setEventStoreServerVersion('protocol-test-double').setMethodsList(methods));
}

function batchAppend(ledger: Ledger) {
  return (call: ServerDuplexStream<StreamsPb.BatchAppendReq, StreamsPb.BatchAppendResp>): void => {
    const pending = new Map<string, { options: StreamsPb.BatchAppendReq.Options; messages: StreamsPb.BatchAppendReq.ProposedMessage[] }>();
    call.on('data', (request: StreamsPb.BatchAppendReq) => {
      const correlation = request.getCorrelationId()!;
      const key = correlation.getString();
      const batch = pending.get(key) ?? { options: request.getOptions()!, messages: [] };
      batch.messages.push(...request.getProposedMessagesList());
      if (!request.getIsFinal()) {
        pending.set(key, batch);
        return;
      }
      pending.delete(key);
      call.write(appendReply(ledger, correlation, batch.options, batch.messages));
    });
    call.on('end', () => call.end());
    // The client cancels its long-lived append stream on dispose; nothing to report to anyone.
    call.on('error', () => undefined);
  };
}

function appendReply(
  ledger: Ledger,
  correlation: SharedPb.UUID,
  options: StreamsPb.BatchAppendReq.Options,
  messages: StreamsPb.BatchAppendReq.ProposedMessage[],
): StreamsPb.BatchAppendResp {
  const identifier = options.getStreamIdentifier()!;
  const expected = expectedOf(options);
  const outcome = ledger.append(nameOf(identifier), expected, messages.map(toProposed));
  const reply = new BatchAppendResp().setCorrelationId(correlation).setStreamIdentifier(identifier);
  if (outcome.kind === 'conflict') return reply.setError(wrongExpectedVersion(expected, outcome.current));
  const success = new BatchAppendResp.Success();
  if (outcome.revision === undefined) success.setNoStream(new Empty());
  else success.setCurrentRevision(String(outcome.revision));
  if (outcome.kind === 'written') {
    success.setPosition(
      new AllStreamPosition().setCommitPosition(String(outcome.commit)).setPreparePosition(String(outcome.prepare)),
    );
  } else {
    success.setNoPosition(new Empty());
  }
  return reply.setSuccess(success);
}

function expectedOf(options: StreamsPb.BatchAppendReq.Options): Expected {
  const cases = BatchAppendReq.Options.ExpectedStreamPositionCase;
  switch (options.getExpectedStreamPositionCase()) {
    case cases.STREAM_POSITION:
      return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    case cases.NO_STREAM:
      return { kind: 'no_stream' };
    case cases.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

function wrongExpectedVersion(expected: Expected, current: bigint | undefined): StatusPb.Status {
  const details = new WrongExpectedVersion();
  if (current === undefined) details.setCurrentNoStream(new Empty());
  else details.setCurrentStreamRevision(String(current));
  if (expected.kind === 'revision') details.setExpectedStreamPosition(String(expected.revision));
  else if (expected.kind === 'no_stream') details.setExpectedNoStream(new Empty());
  else if (expected.kind === 'stream_exists') details.setExpectedStreamExists(new Empty());
  else details.setExpectedAny(new Empty());
  const packed = new Any();
  packed.pack(details.serializeBinary(), 'event_store.client.WrongExpectedVersion');
  return new Status().setCode(Code.FAILED_PRECONDITION).setMessage('WrongExpectedVersion').setDetails(packed);
}

function toProposed(message: StreamsPb.BatchAppendReq.ProposedMessage): Proposed {
  const metadata = message.getMetadataMap();
  return {
    id: message.getId()!.getString(),
    type: metadata.get('type') ?? '',
    contentType: metadata.get('content-type') ?? 'application/octet-stream',
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

function read(ledger: Ledger, closers: Set<() => void>) {
  return (call: ServerWritableStream<ReadRequest, ReadResponse>): void => {
    const options = call.request.getOptions()!;
    if (options.hasSubscription() && options.hasAll()) return subscribeToAll(ledger, closers, call, options);
    if (options.hasSubscription()) {
      call.emit('error', { code: status.UNIMPLEMENTED, details: 'the double has no stream subscriptions' });
      return;
    }
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const count = Number(options.getCount());
    const events = options.hasStream()
      ? streamSlice(ledger, options.getStream()!, backwards)
      : allSlice(ledger, options.getAll()!, backwards);
    if (events === undefined) {
      const notFound = new ReadResp.StreamNotFound().setStreamIdentifier(options.getStream()!.getStreamIdentifier());
      call.write(new ReadResp().setStreamNotFound(notFound));
    } else {
      for (const event of events.slice(0, count)) call.write(eventMessage(event, options.hasAll()));
    }
    call.end();
  };
}

/** Undefined when the stream does not exist. */
function streamSlice(ledger: Ledger, options: StreamsPb.ReadReq.Options.StreamOptions, backwards: boolean) {
  const events = ledger.stream(nameOf(options.getStreamIdentifier()!));
  if (!events) return undefined;
  const cases = ReadReq.Options.StreamOptions.RevisionOptionCase;
  const revisionCase = options.getRevisionOptionCase();
  const from =
    revisionCase === cases.REVISION
      ? Number(options.getRevision())
      : revisionCase === cases.END
        ? (backwards ? events.length - 1 : events.length)
        : 0;
  return backwards ? events.slice(0, from + 1).reverse() : events.slice(from);
}

/** Forwards from a position includes the event at it; backwards from one excludes it. */
function allSlice(ledger: Ledger, options: StreamsPb.ReadReq.Options.AllOptions, backwards: boolean): Recorded[] {
  const cases = ReadReq.Options.AllOptions.AllOptionCase;
  switch (options.getAllOptionCase()) {
    case cases.START:
      return backwards ? [] : ledger.all;
    case cases.END:
      return backwards ? [...ledger.all].reverse() : [];
    default: {
      const at = BigInt(options.getPosition()!.getCommitPosition());
      return backwards
        ? ledger.all.filter((e) => e.position < at).reverse()
        : ledger.all.filter((e) => e.position >= at);
    }
  }
}

function subscribeToAll(
  ledger: Ledger,
  closers: Set<() => void>,
  call: ServerWritableStream<ReadRequest, ReadResponse>,
  options: ReadOptions,
): void {
  const all = options.getAll()!;
  const cases = ReadReq.Options.AllOptions.AllOptionCase;
  const after =
    all.getAllOptionCase() === cases.POSITION
      ? BigInt(all.getPosition()!.getCommitPosition())
      : all.getAllOptionCase() === cases.END
        ? (ledger.all[ledger.all.length - 1]?.position ?? -1n)
        : -1n;
  const filter = options.hasFilter() ? toFilter(options.getFilter()!) : undefined;
  let scanned = 0;
  const deliver = (event: Recorded) => {
    if (!filter || filter.matches(event)) call.write(eventMessage(event, true));
    if (filter && ++scanned % filter.checkpointEvery === 0) call.write(checkpoint(event.position));
  };

  call.write(new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID())));
  const backlog = ledger.all.filter((e) => e.position > after);
  backlog.forEach(deliver);
  const lastScanned = backlog[backlog.length - 1];
  if (filter && lastScanned) call.write(checkpoint(lastScanned.position));
  call.write(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));

  const stopLive = ledger.onWrite(deliver);
  const close = () => {
    stopLive();
    closers.delete(close);
  };
  closers.add(close);
  call.on('cancelled', close);
  call.on('close', close);
  call.on('error', close);
}

function toFilter(options: StreamsPb.ReadReq.Options.FilterOptions) {
  const onType = options.getFilterCase() === ReadReq.Options.FilterOptions.FilterCase.EVENT_TYPE;
  const expression = (onType ? options.getEventType() : options.getStreamIdentifier())!;
  const prefixes = expression.getPrefixList();
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  const window = options.getWindowCase() === ReadReq.Options.FilterOptions.WindowCase.MAX ? options.getMax() : CHECKPOINT_WINDOW;
  return {
    checkpointEvery: Math.max(1, options.getCheckpointintervalmultiplier()) * window,
    matches(event: Recorded): boolean {
      const value = onType ? event.type : event.stream;
      if (prefixes.length > 0) return prefixes.some((prefix) => value.startsWith(prefix));
      return regex ? regex.test(value) : true;
    },
  };
}

function eventMessage(event: Recorded, fromAll: boolean): ReadResponse {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(new UUID().setString(event.id))
    .setStreamIdentifier(identifierOf(event.stream))
    .setStreamRevision(String(event.revision))
    .setPreparePosition(String(event.position))
    .setCommitPosition(String(event.position))
    .setData(event.data)
    .setCustomMetadata(event.metadata);
  recorded
    .getMetadataMap()
    .set('type', event.type)
    .set('content-type', event.contentType)
    .set('created', String(event.created));
  const message = new ReadResp.ReadEvent().setEvent(recorded);
  // The server only puts the $all position on the envelope when reading $all.
  if (fromAll) message.setCommitPosition(String(event.position));
  else message.setNoPosition(new Empty());
  return new ReadResp().setEvent(message);
}

function checkpoint(position: bigint): ReadResponse {
  return new ReadResp().setCheckpoint(
    new ReadResp.Checkpoint().setCommitPosition(String(position)).setPreparePosition(String(position)),
  );
}

function nameOf(identifier: SharedPb.StreamIdentifier): string {
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

function identifierOf(name: string): SharedPb.StreamIdentifier {
  return new StreamIdentifier().setStreamName(Buffer.from(name, 'utf8'));
}

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function ticksNow(): bigint {
  return BigInt(Date.now()) * 10_000n;
}

export interface EsdbDouble {
  /** Connection string for the client: `esdb://127.0.0.1:<port>?tls=false`. */
  readonly url: string;
  readonly port: number;
  /** Drops the server and every open call at once, as a crash would; the data stays for restart(). */
  stop(): Promise<void>;
  /** Listens again on the same port with the same data (stopping first if still running). */
  restart(): Promise<void>;
}

export async function startEsdbDouble(): Promise<EsdbDouble> {
  const ledger = new Ledger();
  let running: Listening | undefined = await listen(ledger, 0);
  const port = running.port;
  return {
    url: `esdb://127.0.0.1:${port}?tls=false`,
    port,
    stop: async () => {
      running?.stop();
      running = undefined;
    },
    restart: async () => {
      running?.stop();
      running = await listen(ledger, port);
    },
  };
}

interface Listening {
  port: number;
  stop(): void;
}

async function listen(ledger: Ledger, port: number): Promise<Listening> {
  const server = new Server();
  const closers = new Set<() => void>();
  server.addService(ServerFeaturesService, { getSupportedMethods });
  server.addService(StreamsService, { read: read(ledger, closers), batchAppend: batchAppend(ledger) });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, chosen) =>
      error ? reject(error) : resolve(chosen),
    ),
  );
  return {
    port: bound,
    stop: () => {
      for (const close of [...closers]) close();
      server.forceShutdown();
    },
  };
}
