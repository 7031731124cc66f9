import { describe, expect, it } from 'vitest';
import { eventHash } from '../../ledger/hash-chain.js';
import { type ChainEvent, ChainWalk, type StreamHead } from './chain-walk.js';

/** A well-linked stream of `count` events, as the ledger writes them. */
function stream(name: string, count: number): ChainEvent[] {
  const events: ChainEvent[] = [];
  let prevHash: string | null = null;
  for (let revision = 0; revision < count; revision++) {
    const event: ChainEvent = { streamName: name, revision: BigInt(revision), id: `${name}-${revision}`, type: 'Happened', data: { n: revision }, metadata: { prevHash } };
    events.push(event);
    prevHash = eventHash(event);
  }
  return events;
}

const headOf = (events: ChainEvent[]): StreamHead => {
  const last = events[events.length - 1]!;
  return { stream: last.streamName, revision: last.revision, hash: eventHash(last) };
};

function walk(events: ChainEvent[], heads: StreamHead[]) {
  const chain = new ChainWalk();
  for (const event of events) {
    const broken = chain.visit(event);
    if (broken) return broken;
  }
  return chain.compareHeads(heads) ?? chain.counts;
}

/** Two streams interleaved, as the global order mixes them. */
const a = stream('a-1', 4);
const b = stream('b-1', 3);
const interleaved = (x: ChainEvent[], y: ChainEvent[]) => [x[0]!, y[0]!, x[1]!, y[1]!, x[2]!, y[2]!, ...x.slice(3)];

describe('ChainWalk', () => {
  it('passes intact streams and counts them', () => {
    expect(walk(interleaved(a, b), [headOf(a), headOf(b)])).toEqual({ streams: 2, events: 7 });
  });

  it('names an altered event by the link after it', () => {
    const altered = a.map((e, i) => (i === 1 ? { ...e, data: { n: 99 } } : e));
    expect(walk(interleaved(altered, b), [headOf(a), headOf(b)])).toMatchObject({ stream: 'a-1', revision: 1n, problem: 'altered' });
  });

  it('names a removed event by its revision', () => {
    expect(walk(interleaved(a, b).filter((e) => e !== a[2]), [headOf(a), headOf(b)])).toMatchObject({ stream: 'a-1', revision: 2n, problem: 'missing' });
  });

  it('sees reordered events', () => {
    expect(walk([a[0]!, a[2]!, a[1]!], [])).toMatchObject({ stream: 'a-1', revision: 1n, problem: 'missing' });
    expect(walk([a[0]!, a[1]!, { ...a[1]!, id: 'again' }], [])).toMatchObject({ revision: 1n, problem: 'reordered' });
  });

  it('refuses a first event that names a predecessor', () => {
    expect(walk([{ ...a[0]!, metadata: { prevHash: 'f'.repeat(64) } }], [])).toMatchObject({ revision: 0n, problem: 'not_first' });
  });

  it('sees an altered last event only against the recorded head', () => {
    const altered = [...a.slice(0, 3), { ...a[3]!, data: { n: 99 } }];
    expect(walk(altered, [])).toMatchObject({ problem: 'unrecorded' });
    expect(walk(altered, [headOf(a)])).toMatchObject({ stream: 'a-1', revision: 3n, problem: 'altered_last' });
  });

  it('sees a truncated or vanished stream, and revisions the service never recorded', () => {
    expect(walk(a.slice(0, 2), [headOf(a)])).toMatchObject({ stream: 'a-1', revision: 2n, problem: 'missing' });
    expect(walk(b, [headOf(a), headOf(b)])).toMatchObject({ stream: 'a-1', revision: 0n, problem: 'missing' });
    expect(walk(a, [headOf(a.slice(0, 2))])).toMatchObject({ stream: 'a-1', revision: 2n, problem: 'unrecorded' });
  });
});
