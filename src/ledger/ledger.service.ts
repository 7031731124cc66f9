import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Decider, DomainEvent } from '../shared/domain/decider.js';
import {
  AppendResult,
  EVENT_STORE,
  EventStore,
  EventToAppend,
  StoredEvent,
  UnlinkedEvent,
  WrongExpectedRevisionError,
} from '../event-store/event-store.port.js';
import { linkedMetadataJson, rememberHash, serialisedEventHash, storedEventHash, UNLINKED_TAIL } from './hash-chain.js';
import { CommandContext, LedgerMetadata } from './ledger-context.js';

export interface LoadedStream<State> {
  state: State;
  /** Revision of the last event, or `no_stream`. */
  revision: bigint | 'no_stream';
  lastHash: string | null;
  events: StoredEvent[];
}

export interface Decided<State, Event> {
  /** The events this command appended; empty when it had already been carried out. */
  events: Event[];
  state: State;
  /** Global position of the last appended event; null when nothing was appended. */
  position: bigint | null;
}

const CONFLICT_RETRIES = 5;

/** A domain event to append; `dataJson` is its data's JSON text when the caller has made it already. */
export type LedgerEvent = DomainEvent & { dataJson?: string };

/** Loads deciders from their streams and appends what they decide, with the hash chain and metadata. */
@Injectable()
export class Ledger {
  constructor(@Inject(EVENT_STORE) readonly store: EventStore) {}

  async load<State, Event extends DomainEvent>(
    stream: string,
    decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>,
  ): Promise<LoadedStream<State>> {
    let state = decider.initialState();
    const events: StoredEvent[] = [];
    for await (const stored of this.store.readStream(stream)) {
      state = decider.evolve(state, { type: stored.type, data: stored.data } as Event);
      events.push(stored);
    }
    const last = events[events.length - 1];
    return {
      state,
      revision: last ? last.revision : 'no_stream',
      lastHash: last ? storedEventHash(last) : null,
      events,
    };
  }

  /** Load, decide, append with the expected revision; a concurrent writer makes it decide again. */
  async decide<State, Command, Event extends DomainEvent>(
    stream: string,
    decider: Decider<State, Command, Event>,
    command: Command,
    context: CommandContext,
  ): Promise<Decided<State, Event>> {
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load(stream, decider);
      const events = decider.decide(command, loaded.state);
      if (events.length === 0) return { events, state: loaded.state, position: null };
      try {
        const result = await this.append(stream, events, loaded.revision, loaded.lastHash, context);
        return { events, state: events.reduce(decider.evolve, loaded.state), position: result.position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || attempt >= CONFLICT_RETRIES) throw error;
      }
    }
  }

  /** Appends domain events with their metadata, each linked to the one before it. */
  append(
    stream: string,
    events: LedgerEvent[],
    expected: bigint | 'no_stream' | 'any',
    lastHash: string | null,
    context: CommandContext,
  ): Promise<AppendResult> {
    if (this.store.appendLinked) return this.store.appendLinked(stream, this.unlinked(events, context), expected, lastHash);
    return this.store.append(stream, this.chain(events, lastHash, context), expected);
  }

  /**
   * The events with their metadata, for a store that links the chain itself: everything but the
   * hashes, which it computes where it writes (the embedded store's writer thread, off this one).
   */
  private unlinked(events: LedgerEvent[], context: CommandContext): UnlinkedEvent[] {
    const metadata: LedgerMetadata = {
      actor: context.actor,
      correlationId: context.correlationId,
      tenantId: context.tenantId ?? null,
      occurredAt: context.now.toISOString(),
      prevHash: null,
    };
    // The same for every event of the append but its link: serialised once.
    const text = JSON.stringify(metadata);
    const metadataHead = text.slice(0, text.length - UNLINKED_TAIL.length);
    return events.map((event) => ({
      id: randomUUID(),
      type: event.type,
      data: event.data,
      metadata: { ...metadata } as unknown as Record<string, unknown>,
      // Data that JSON cannot hold is null, as in an array.
      json: { data: event.dataJson ?? JSON.stringify(event.data) ?? 'null', metadataHead },
    }));
  }

  /** The events linked into the chain on this thread, for a store that does not link them itself. */
  chain(events: LedgerEvent[], lastHash: string | null, context: CommandContext): EventToAppend[] {
    let prevHash = lastHash;
    return this.unlinked(events, context).map(({ id, type, data, metadata, json }) => {
      // Serialised once: for the hash and for the store.
      const linked = { data: json.data, metadata: linkedMetadataJson(json.metadataHead, prevHash) };
      metadata.prevHash = prevHash;
      prevHash = serialisedEventHash(id, type, linked.data, linked.metadata);
      rememberHash(metadata, prevHash);
      return { id, type, data, metadata, json: linked };
    });
  }
}
