import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError } from './problem.js';
import { ValidationProblem } from './problem.filter.js';

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldError[] = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Keys the pipe cannot carry into a DTO: Nest strips `__proto__`, `prototype` and `constructor`
 * in place, and class-transformer skips every key that names an `Object.prototype` member
 * (`toString`, `valueOf`, `hasOwnProperty`, …). Accepted, they would vanish without a word: an
 * unknown top-level field would pass `forbidNonWhitelisted`, and published `data` would be stored
 * and delivered without them.
 */
const UNCARRIED_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Unknown fields are rejected, every failure names its field (SPEC §3), and nothing is dropped unsaid. */
class LosslessValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Nest would read a `null` body as `{}`, and test a string, number or array against the DTO's rules
    // only, so a route whose fields are all optional would take any of them as an empty body.
    if (metadata.type === 'body' && metadata.metatype && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new ValidationProblem([{ field: 'body', messages: ['the body must be a JSON object'] }]);
    }
    if ((metadata.type === 'body' || metadata.type === 'query') && holdsUncarriedKey(value)) {
      const uncarried = uncarriedKeys(value);
      throw new ValidationProblem(uncarried.map((field) => ({ field, messages: [`${field} uses a reserved key name, which cannot be accepted`] })));
    }
    const dto = metadata.metatype as Partial<AcceptsAsIs> | undefined;
    if (metadata.type === 'body' && typeof dto?.accept === 'function') {
      const accepted = dto.accept(value);
      if (accepted !== undefined) return accepted;
    }
    return super.transform(value, metadata);
  }
}

/**
 * A body DTO may offer `static accept(value)`: the instance when the body passes every rule of its
 * decorators as it is (no copy needed), else undefined for the full pipe and its messages.
 */
export interface AcceptsAsIs {
  accept(value: unknown): object | undefined;
}

/**
 * Whether any key at any depth is uncarried: the check every body and query takes, walked with a
 * stack of values only (a batch of 100 events has thousands of keys, and almost never one of these).
 */
function holdsUncarriedKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || typeof current !== 'object') continue;
    if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
      continue;
    }
    for (const key in current) {
      if (!Object.hasOwn(current, key)) continue;
      if (UNCARRIED_KEYS.has(key)) return true;
      stack.push((current as Record<string, unknown>)[key]);
    }
  }
  return false;
}

/** Paths of every uncarried key, walked with a stack: bodies are bounded in depth, queries are not. */
function uncarriedKeys(value: unknown): string[] {
  const found: string[] = [];
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    for (const key of Object.keys(current)) {
      const field = path ? `${path}.${key}` : key;
      if (!Array.isArray(current) && UNCARRIED_KEYS.has(key)) found.push(field);
      else stack.push({ value: (current as Record<string, unknown>)[key], path: field });
    }
  }
  return found.sort();
}

export function validationPipe(): ValidationPipe {
  return new LosslessValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationProblem(flattenValidationErrors(errors)),
  });
}
