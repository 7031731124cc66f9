import { type HashableEvent, type StreamHead, storedTextHash } from '../../ledger/hash-chain.js';

export type { StreamHead };

export interface ChainEvent extends HashableEvent {
  streamName: string;
  revision: bigint;
}

export type ChainProblem =
  /** A revision is absent: deleted, or its event moved to another tenant. */
  | 'missing'
  /** A revision came after a later one of its stream. */
  | 'reordered'
  /** The event does not hash to what the next event of its stream recorded. */
  | 'altered'
  /** A stream's first event names a predecessor. */
  | 'not_first'
  /** The stream's last event differs from the one the service recorded when it was appended. */
  | 'altered_last'
  /** The stream holds revisions the service never recorded (written beside it). */
  | 'unrecorded';

export interface BrokenLink {
  stream: string;
  revision: bigint;
  problem: ChainProblem;
  detail: string;
}

interface Link {
  next: bigint;
  lastHash: string;
}

/**
 * Walks a tenant's ledger events in global order and checks every stream's chain: revisions
 * 0, 1, 2… without a gap, a null prevHash first, then each prevHash the hash of the event before
 * (of the text the store holds, where it gives it: a change to any byte shows). It keeps one small
 * entry per stream, never the events themselves.
 */
export class ChainWalk {
  private readonly links = new Map<string, Link>();
  private eventCount = 0;

  get counts(): { streams: number; events: number } {
    return { streams: this.links.size, events: this.eventCount };
  }

  /** The first broken link this event shows, or null. */
  visit(event: ChainEvent): BrokenLink | null {
    const stream = event.streamName;
    const link = this.links.get(stream);
    const expected = link?.next ?? 0n;
    const broken = (revision: bigint, problem: ChainProblem, detail: string): BrokenLink => ({ stream, revision, problem, detail });
    if (event.revision < expected) {
      return broken(event.revision, 'reordered', `revision ${event.revision} comes after revision ${expected - 1n} in the ledger`);
    }
    if (event.revision > expected) {
      return broken(expected, 'missing', `revision ${expected} is absent: the next event of the stream is revision ${event.revision}`);
    }
    const prevHash = event.metadata.prevHash ?? null;
    if (link === undefined && prevHash !== null) {
      return broken(0n, 'not_first', 'the first event of the stream names a previous event (prevHash is not null)');
    }
    if (link !== undefined && prevHash !== link.lastHash) {
      return broken(
        event.revision - 1n,
        'altered',
        `revision ${event.revision - 1n} does not hash to the prevHash recorded by revision ${event.revision}: one of them was altered`,
      );
    }
    this.links.set(stream, { next: event.revision + 1n, lastHash: storedTextHash(event) });
    this.eventCount++;
    return null;
  }

  /**
   * Compares each stream's last event with the head recorded live. Call once, after the walk
   * covered every event the heads were recorded from.
   */
  compareHeads(heads: Iterable<StreamHead>): BrokenLink | null {
    const unmatched = new Set(this.links.keys());
    for (const head of heads) {
      unmatched.delete(head.stream);
      const problem = this.compareHead(head);
      if (problem) return problem;
    }
    const [stray] = unmatched;
    if (stray === undefined) return null;
    const last = this.links.get(stray)!.next - 1n;
    return { stream: stray, revision: last, problem: 'unrecorded', detail: 'the service never recorded this stream: its events were written beside it' };
  }

  private compareHead(head: StreamHead): BrokenLink | null {
    const { stream } = head;
    const last = (this.links.get(stream)?.next ?? 0n) - 1n;
    if (last < head.revision) {
      return { stream, revision: last + 1n, problem: 'missing', detail: `the stream ends at revision ${last}; revision ${head.revision} was recorded as its last` };
    }
    if (last > head.revision) {
      return { stream, revision: head.revision + 1n, problem: 'unrecorded', detail: `the service recorded revision ${head.revision} as the last one` };
    }
    if (this.links.get(stream)!.lastHash !== head.hash) {
      return { stream, revision: last, problem: 'altered_last', detail: 'the last event differs from the one recorded when it was appended' };
    }
    return null;
  }
}
