export type ErrorCategory = 'validation' | 'unauthenticated' | 'forbidden' | 'not_found' | 'illegal_state' | 'conflict';

/** A rule of the domain said no. The code is stable: clients and tests may rely on it. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (code: string, message: string) => new DomainError(code, 'not_found', message);
export const illegalState = (code: string, message: string) => new DomainError(code, 'illegal_state', message);
export const conflict = (code: string, message: string) => new DomainError(code, 'conflict', message);
export const invalid = (code: string, message: string) => new DomainError(code, 'validation', message);
export const forbidden = (code: string, message: string) => new DomainError(code, 'forbidden', message);
export const unauthenticated = (code: string, message: string) => new DomainError(code, 'unauthenticated', message);
