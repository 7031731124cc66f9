import { ValidationProblem } from './problem.filter.js';

/** Opaque cursors: clients pass back what they were given and cannot build one by hand by accident. */
export function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, prefix?: string): string {
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeCursor(value) !== cursor || (prefix !== undefined && !value.startsWith(`${prefix}_`)) || value.length > 200) {
    throw new ValidationProblem([{ field: 'cursor', messages: ['cursor is not a cursor this API gave out'] }]);
  }
  return value;
}
