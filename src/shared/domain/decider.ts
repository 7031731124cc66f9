/** An aggregate as a decider (STYLE.md): pure, no I/O, time and randomness arrive in commands. */
export interface Decider<State, Command, Event> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  /** New events for the command; `[]` when the command was already carried out. Throws a DomainError when illegal. */
  decide(command: Command, state: State): Event[];
}

/** A ledger event as the domain sees it: a past-tense `type` and its data. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

export function fold<State, Event>(decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>, events: Event[]): State {
  return events.reduce(decider.evolve, decider.initialState());
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
