import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommitTiming,
  EventStore,
  EventToAppend,
  StoredEvent,
  WrongExpectedRevisionError,
} from '../../src/event-store/event-store.port.js';

export interface ContractTarget {
  /** Named in the test output: which store the contract ran against. */
  label: string;
  open(): Promise<EventStore>;
  /** Called once after the suite; closes servers the target started. */
  teardown?(): Promise<void>;
}

function event(type: string, data: unknown = {}): EventToAppend {
  return { id: randomUUID(), type, data, metadata: { actor: 'system' } };
}

async function collect(iterable: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

async function take(iterable: AsyncIterable<StoredEvent>, count: number, stream?: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  if (count === 0) return out;
  for await (const e of iterable) {
    if (stream && e.streamName !== stream) continue;
    out.push(e);
    if (out.length === count) break;
  }
  return out;
}

/** One suite, every adapter (SPEC §2). Stream names are unique per test so a shared real server works. */
export function eventStoreContract(target: ContractTarget): void {
  describe(`event store contract: ${target.label}`, () => {
    let store: EventStore;
    const stream = (prefix = 'contract') => `${prefix}-${randomUUID().replaceAll('-', '')}`;

    beforeAll(async () => {
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
      await target.teardown?.();
    });

    it('reports each durable write with its duration and the appends it held, and none for a refused append', async () => {
      const commits: CommitTiming[] = [];
      store.onCommit((commit) => commits.push(commit));
      const s = stream();
      await store.append(s, [event('A'), event('B')], 'no_stream');
      await store.append(stream(), [event('C')], 'no_stream');
      await expect(store.append(s, [event('D')], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(commits.reduce((n, c) => n + c.appends, 0)).toBe(2);
      for (const { seconds } of commits) {
        expect(seconds).toBeGreaterThan(0);
        expect(seconds).toBeLessThan(60);
      }
    });

    it('appends to a new stream with no_stream and reads it back in order', async () => {
      const s = stream();
      const events = [event('A', { n: 1 }), event('B', { n: 2, nested: { ok: true } }), event('C')];
      const result = await store.append(s, events, 'no_stream');
      expect(result.nextRevision).toBe(2n);
      const read = await collect(store.readStream(s));
      expect(read.map((e) => e.type)).toEqual(['A', 'B', 'C']);
      expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      expect(read.map((e) => e.id)).toEqual(events.map((e) => e.id));
      expect(read[1]!.data).toEqual({ n: 2, nested: { ok: true } });
      expect(read[0]!.metadata).toEqual({ actor: 'system' });
      expect(read[0]!.streamName).toBe(s);
      expect(read[0]!.position < read[1]!.position && read[1]!.position < read[2]!.position).toBe(true);
      expect(result.position).toBe(read[2]!.position);
    });

    it('rejects no_stream when the stream exists, with a typed conflict', async () => {
      const s = stream();
      await store.append(s, [event('A')], 'no_stream');
      const error = await store.append(s, [event('B')], 'no_stream').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect((error as WrongExpectedRevisionError).streamName).toBe(s);
      expect((error as WrongExpectedRevisionError).actual).toBe(0n);
      expect(await collect(store.readStream(s))).toHaveLength(1);
    });

    it('appends with an exact revision and rejects a stale one', async () => {
      const s = stream();
      await store.append(s, [event('A'), event('B')], 'no_stream');
      const ok = await store.append(s, [event('C')], 1n);
      expect(ok.nextRevision).toBe(2n);
      const error = await store.append(s, [event('D')], 1n).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect((error as WrongExpectedRevisionError).actual).toBe(2n);
      const missing = await store.append(stream(), [event('E')], 0n).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(WrongExpectedRevisionError);
      expect((missing as WrongExpectedRevisionError).actual).toBe('no_stream');
    });

    it('appends with any to new and existing streams', async () => {
      const s = stream();
      expect((await store.append(s, [event('A')], 'any')).nextRevision).toBe(0n);
      expect((await store.append(s, [event('B')], 'any')).nextRevision).toBe(1n);
    });

    it('does not append an event id twice when the same append is repeated', async () => {
      const s = stream();
      const first = [event('A'), event('B')];
      const original = await store.append(s, first, 'no_stream');
      const again = await store.append(s, first, 'no_stream');
      expect(again.nextRevision).toBe(original.nextRevision);
      const next = [event('C')];
      await store.append(s, next, 1n);
      await store.append(s, next, 1n);
      const read = await collect(store.readStream(s));
      expect(read.map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('reads backwards, from a revision, with a maximum count', async () => {
      const s = stream();
      await store.append(s, Array.from({ length: 5 }, (_, i) => event(`E${i}`)), 'no_stream');
      expect((await collect(store.readStream(s, { direction: 'backwards' }))).map((e) => e.type)).toEqual([
        'E4',
        'E3',
        'E2',
        'E1',
        'E0',
      ]);
      expect(
        (await collect(store.readStream(s, { direction: 'backwards', maxCount: 1 }))).map((e) => e.type),
      ).toEqual(['E4']);
      expect(
        (await collect(store.readStream(s, { fromRevision: 2n, maxCount: 2 }))).map((e) => e.type),
      ).toEqual(['E2', 'E3']);
      expect(
        (await collect(store.readStream(s, { direction: 'backwards', fromRevision: 1n }))).map((e) => e.type),
      ).toEqual(['E1', 'E0']);
    });

    it('reads a stream that does not exist as empty', async () => {
      expect(await collect(store.readStream(stream()))).toEqual([]);
    });

    it('reads all events after a position, in global order', async () => {
      const s = stream();
      const first = await store.append(s, [event('A')], 'no_stream');
      await store.append(s, [event('B'), event('C')], 0n);
      const after = await collect(store.readAll({ after: first.position }));
      expect(after.filter((e) => e.streamName === s).map((e) => e.type)).toEqual(['B', 'C']);
      const positions = after.map((e) => e.position);
      expect([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(positions);
      const all = await collect(store.readAll());
      expect(all.filter((e) => e.streamName === s).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('reads the event at a position readAll gave, and nothing where there is none', async () => {
      const s = stream();
      await store.append(s, [event('A'), event('B')], 'no_stream');
      const written = (await collect(store.readAll())).filter((e) => e.streamName === s);
      const b = written[1]!;
      const at = await store.readAt(b.position);
      expect(at).toMatchObject({ id: b.id, type: 'B', streamName: s, revision: 1n, position: b.position, data: b.data, metadata: b.metadata });
      const last = (await collect(store.readAll({ after: b.position }))).at(-1) ?? b;
      expect(await store.readAt(last.position + 1_000_000n)).toBeUndefined();
    });

    it('subscribes to all: catches up from a checkpoint, then receives live events', async () => {
      const s = stream();
      const first = await store.append(s, [event('A')], 'no_stream');
      await store.append(s, [event('B')], 0n);
      const subscription = store.subscribeToAll({ after: first.position });
      const received = take(subscription, 3, s);
      await subscription.caughtUp;
      await store.append(s, [event('C'), event('D')], 1n);
      const events = await received;
      await subscription.close();
      expect(events.map((e) => e.type)).toEqual(['B', 'C', 'D']);
      expect(events.map((e) => e.revision)).toEqual([1n, 2n, 3n]);
    });

    it('a subscription from the start sees events appended before it began', async () => {
      const s = stream();
      await store.append(s, [event('A'), event('B')], 'no_stream');
      const subscription = store.subscribeToAll();
      const events = await take(subscription, 2, s);
      await subscription.close();
      expect(events.map((e) => e.type)).toEqual(['A', 'B']);
    });

    it('hands out no store-internal events ($-typed or in $-streams) from readAll or subscribeToAll', async () => {
      const s = stream();
      await store.append(s, [event('A')], 'no_stream');
      const internal = (e: StoredEvent) => e.type.startsWith('$') || e.streamName.startsWith('$');
      expect((await collect(store.readAll())).filter(internal)).toEqual([]);
      const subscription = store.subscribeToAll();
      const seen: StoredEvent[] = [];
      for await (const e of subscription) {
        seen.push(e);
        if (e.streamName === s) break;
      }
      await subscription.close();
      expect(seen.filter(internal)).toEqual([]);
      expect(seen.at(-1)?.streamName).toBe(s);
    });

    it('keeps concurrent appends to different streams apart and conflicts on one stream', async () => {
      const s1 = stream();
      const s2 = stream();
      await Promise.all([store.append(s1, [event('A')], 'no_stream'), store.append(s2, [event('B')], 'no_stream')]);
      const results = await Promise.allSettled([
        store.append(s1, [event('C')], 0n),
        store.append(s1, [event('D')], 0n),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect(await collect(store.readStream(s1))).toHaveLength(2);
      expect(await collect(store.readStream(s2))).toHaveLength(1);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
