import { expect } from 'vitest';
import { Decider, fold } from '../../src/shared/domain/decider.js';
import { DomainError } from '../../src/shared/domain/domain-error.js';

/** Decider specs (STYLE.md): given past events, when a command, then new events or an error code. */
export function specFor<S, C, E>(decider: Decider<S, C, E>) {
  return (given: E[]) => ({
    when: (command: C) => ({
      then(expected: E[]) {
        expect(decider.decide(command, fold(decider, given))).toEqual(expected);
      },
      thenThrows(code: string) {
        let thrown: unknown;
        try {
          decider.decide(command, fold(decider, given));
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(DomainError);
        expect((thrown as DomainError).code).toBe(code);
      },
    }),
  });
}
