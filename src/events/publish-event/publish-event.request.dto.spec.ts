import 'reflect-metadata';
import fc from 'fast-check';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { PublishBatchRequest, PublishEventRequest } from './publish-event.request.dto.js';

const options = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };
const passesDecorators = (cls: new () => object, value: unknown) => validateSync(plainToInstance(cls, value) as object, options).length === 0;

const text = fc.oneof(
  fc.constantFrom('order.paid', 'a', 'a.b.c', 'x:y-z_1', '', ' ', 'a..b', 'a.*', 'a b', 'é', 'ok-1', 'k\n', 'x'.repeat(128), 'x'.repeat(129), 'y'.repeat(257)),
  fc.string({ maxLength: 20 }),
);
const anything = fc.oneof(text, fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }));
const field = fc.oneof({ weight: 3, arbitrary: text }, { weight: 1, arbitrary: anything });
const body = fc.record(
  {
    type: field,
    data: fc.oneof({ weight: 3, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })) }, { weight: 1, arbitrary: anything }),
    id: field,
    orderingKey: field,
    extra: anything,
  },
  { requiredKeys: [] },
);

/** Mostly well-formed bodies, one field at a time going wrong, so both sides are reached. */
const nearlyValid = fc.record(
  {
    type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('order.paid', 'a', 'a.b.c', 'x:y-z_1', 'x'.repeat(128)) }, { weight: 1, arbitrary: field }),
    data: fc.oneof({ weight: 4, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })) }, { weight: 1, arbitrary: anything }),
    id: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('o-1', 'a.b:c_d', 'x'.repeat(128)) }, { weight: 1, arbitrary: field }),
    orderingKey: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('c-42', 'é', 'y'.repeat(256)) }, { weight: 1, arbitrary: field }),
    extra: anything,
  },
  { requiredKeys: [] },
).map((b) => {
  // The extra field mostly stays out, the type and data mostly in.
  const { extra, ...rest } = b;
  return Math.abs(JSON.stringify(b).length % 7) === 0 && extra !== undefined ? b : rest;
});

describe('PublishEventRequest.accept', () => {
  it('accepts only what the decorators accept, and gives the same fields', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof({ weight: 6, arbitrary: nearlyValid }, { weight: 3, arbitrary: body }, { weight: 1, arbitrary: anything }), (value) => {
        const fast = PublishEventRequest.accept(value);
        if (fast === undefined) return;
        accepted++;
        expect(passesDecorators(PublishEventRequest, value)).toBe(true);
        expect({ ...fast }).toEqual({ ...plainToInstance(PublishEventRequest, value) });
      }),
      { seed: 11, numRuns: 3000 },
    );
    // The generator must reach the accepting side often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(50);
  });

  it('accepts the common publish body', () => {
    expect(PublishEventRequest.accept({ type: 'order.paid', data: { n: 1 } })).toBeInstanceOf(PublishEventRequest);
    expect(PublishEventRequest.accept({ type: 'order.paid', data: { n: 1 }, id: 'o-1', orderingKey: 'c-42' })).toBeInstanceOf(PublishEventRequest);
  });

  it('leaves null optional fields and unknown fields to the decorators', () => {
    expect(PublishEventRequest.accept({ type: 'order.paid', data: {}, id: null })).toBeUndefined();
    expect(PublishEventRequest.accept({ type: 'order.paid', data: {}, other: 1 })).toBeUndefined();
  });
});

describe('PublishBatchRequest.accept', () => {
  it('accepts only what the decorators accept', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ events: fc.oneof(fc.array(anything, { maxLength: 3 }), anything, fc.array(fc.constant({}), { minLength: 99, maxLength: 102 })), extra: anything }, { requiredKeys: [] }),
          anything,
        ),
        (value) => {
          if (PublishBatchRequest.accept(value) !== undefined) expect(passesDecorators(PublishBatchRequest, value)).toBe(true);
        },
      ),
      { seed: 12, numRuns: 1000 },
    );
  });
});
