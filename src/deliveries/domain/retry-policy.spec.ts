import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyError, classifyResponse, delayBeforeAttempt, nextAttemptDelay, retryAfterMs, type ErrorClass } from './retry-policy.js';

const HOUR = 3_600_000;
const DEFAULT_SCHEDULE = ['0s', '5s', '30s', '2m', '10m', '30m', '1h', '3h', '6h', '12h'];

describe('classifyResponse', () => {
  it.each([200, 201, 204, 299])('%d succeeded', (status) => expect(classifyResponse(status, false)).toBe('succeeded'));
  it.each([408, 425, 429, 500, 502, 503, 504, 599])('%d is retryable', (status) => expect(classifyResponse(status, false)).toBe('retryable'));
  it.each([301, 302, 304, 307, 308, 400, 401, 403, 404, 410, 413, 422])('%d is permanent', (status) =>
    expect(classifyResponse(status, false)).toBe('permanent'));

  it('retries every non-2xx with retryAllFailures, and still succeeds on 2xx', () => {
    for (const status of [302, 400, 404, 410, 422, 500]) expect(classifyResponse(status, true)).toBe('retryable');
    expect(classifyResponse(200, true)).toBe('succeeded');
  });
});

describe('classifyError', () => {
  it('is permanent only for a blocked address', () => {
    const retryable: ErrorClass[] = ['timeout', 'connect', 'dns', 'tls', 'reset', 'protocol', 'body_too_large', 'unknown'];
    for (const errorClass of retryable) expect(classifyError(errorClass)).toBe('retryable');
    expect(classifyError('blocked')).toBe('permanent');
  });
});

describe('retryAfterMs', () => {
  const now = Date.UTC(1994, 10, 6, 8, 49, 0);

  it.each([
    ['120', 120_000],
    [' 5 ', 5_000],
    ['0', 0],
    ['3600', HOUR],
    ['86400', HOUR],
    ['99999999999999999999', HOUR],
  ])('reads delay-seconds %j as %d ms, capped at an hour', (value, ms) => expect(retryAfterMs(value, now)).toBe(ms));

  it.each(['Sun, 06 Nov 1994 08:49:37 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994'])('reads the HTTP-date %j', (value) =>
    expect(retryAfterMs(value, now)).toBe(37_000));

  it('caps a far HTTP-date at an hour and treats "now" as no delay', () => {
    expect(retryAfterMs('Mon, 07 Nov 1994 08:49:00 GMT', now)).toBe(HOUR);
    expect(retryAfterMs('Sun, 06 Nov 1994 08:49:00 GMT', now)).toBe(0);
  });

  it.each([undefined, '', '  ', '-5', '1.5', '5s', 'soon', '1994-11-06T08:49:37Z', 'Sun, 06 Nov 1994 08:49:37', 'Sun, 06 Nov 1994 08:48:00 GMT'])(
    '%j (absent, invalid or in the past) is null',
    (value) => expect(retryAfterMs(value, now)).toBeNull(),
  );
});

describe('delayBeforeAttempt', () => {
  it('gives the scheduled delay before each attempt, 1-based, with no jitter at random01 = 0.5', () => {
    expect(delayBeforeAttempt(DEFAULT_SCHEDULE, 1, 0.5)).toBe(0);
    expect(delayBeforeAttempt(DEFAULT_SCHEDULE, 2, 0.5)).toBe(5_000);
    expect(delayBeforeAttempt(DEFAULT_SCHEDULE, 10, 0.5)).toBe(12 * HOUR);
  });

  it('is null past the end of the schedule', () => {
    expect(delayBeforeAttempt(DEFAULT_SCHEDULE, 11, 0.5)).toBeNull();
    expect(delayBeforeAttempt([], 1, 0.5)).toBeNull();
    expect(delayBeforeAttempt(DEFAULT_SCHEDULE, 0, 0.5)).toBeNull();
  });

  it('jitters by ±10 % to a whole millisecond', () => {
    expect(delayBeforeAttempt(['5s'], 1, 0)).toBe(4_500);
    expect(delayBeforeAttempt(['5s'], 1, 0.999999)).toBe(5_500);
    expect(delayBeforeAttempt(['333ms'], 1, 0.123)).toBe(Math.round(333 * (0.9 + 0.2 * 0.123)));
  });

  it('keeps a zero delay at zero and stays within ±10 % for any random01', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (ms, random01) => {
        const delay = delayBeforeAttempt(['0s', `${ms}ms`], 2, random01)!;
        expect(delayBeforeAttempt(['0s', `${ms}ms`], 1, random01)).toBe(0);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ms * 0.9));
        expect(delay).toBeLessThanOrEqual(Math.ceil(ms * 1.1));
      }),
    );
  });

  it('refuses an entry that is not a duration', () => {
    expect(() => delayBeforeAttempt(['5 minutes'], 1, 0.5)).toThrow(/not a duration/);
  });
});

describe('nextAttemptDelay', () => {
  const base = { schedule: DEFAULT_SCHEDULE, random01: 0.5 };

  it('gives the delay before the attempt after the one just made', () => {
    expect(nextAttemptDelay({ ...base, attemptMade: 1 })).toBe(5_000);
    expect(nextAttemptDelay({ ...base, attemptMade: 9 })).toBe(12 * HOUR);
  });

  it('is null once the schedule is exhausted, whatever Retry-After says', () => {
    expect(nextAttemptDelay({ ...base, attemptMade: 10 })).toBeNull();
    expect(nextAttemptDelay({ ...base, attemptMade: 10, status: 429, retryAfterMs: 1_000 })).toBeNull();
  });

  it.each([429, 503])('on %d lets Retry-After push the retry later, never earlier', (status) => {
    expect(nextAttemptDelay({ ...base, attemptMade: 1, status, retryAfterMs: 60_000 })).toBe(60_000);
    expect(nextAttemptDelay({ ...base, attemptMade: 1, status, retryAfterMs: 1_000 })).toBe(5_000);
    expect(nextAttemptDelay({ ...base, attemptMade: 1, status, retryAfterMs: null })).toBe(5_000);
  });

  it('caps Retry-After at an hour, above which only the schedule can go', () => {
    expect(nextAttemptDelay({ ...base, attemptMade: 1, status: 503, retryAfterMs: 5 * HOUR })).toBe(HOUR);
    expect(nextAttemptDelay({ ...base, attemptMade: 8, status: 503, retryAfterMs: 5 * HOUR })).toBe(6 * HOUR);
  });

  it.each([500, 502, 408, 200])('ignores Retry-After on %d', (status) =>
    expect(nextAttemptDelay({ ...base, attemptMade: 1, status, retryAfterMs: 60_000 })).toBe(5_000));

  it('ignores Retry-After when the attempt got no response', () => {
    expect(nextAttemptDelay({ ...base, attemptMade: 1, retryAfterMs: 60_000 })).toBe(5_000);
  });
});
