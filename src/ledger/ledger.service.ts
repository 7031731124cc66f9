import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Decider, DomainEvent } from '../shared/domain/decider.js';
import {
  AppendResult,
  EVENT_STORE,
  EventStore,
  EventToAppend,
  StoredEvent,
  WrongExpectedRevisionError,
} from '../event-store/event-store.port.js';
import { rememberHash, serialisedEventHash, storedEventHash } from './hash-chain.js';
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
    return this.store.append(stream, this.chain(events, lastHash, context), expected);
  }

  chain(events: LedgerEvent[], lastHash: string | null, context: CommandContext): EventToAppend[] {
    let prevHash = lastHash;
    return events.map((event) => {
      const metadata: LedgerMetadata = {
        actor: context.actor,
        correlationId: context.correlationId,
        tenantId: context.tenantId ?? null,
        occurredAt: context.now.toISOString(),
        prevHash,
      };
      const id = randomUUID();
      // Serialised once: for the hash and for the store. Data that JSON cannot hold is null, as in an array.
      const json = { data: event.dataJson ?? JSON.stringify(event.data) ?? 'null', metadata: JSON.stringify(metadata) };
      prevHash = serialisedEventHash(id, event.type, json.data, json.metadata);
      rememberHash(metadata, prevHash);
      return { id, type: event.type, data: event.data, metadata: metadata as unknown as Record<string, unknown>, json };
    });
  }
}
