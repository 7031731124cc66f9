import { parseDuration } from '../../shared/domain/duration.js';

export type AttemptOutcome = 'succeeded' | 'retryable' | 'permanent';

export type ErrorClass = 'timeout' | 'connect' | 'dns' | 'tls' | 'blocked' | 'reset' | 'protocol' | 'body_too_large' | 'unknown';

/** SPEC §5 caps how long a receiver may push a retry back with `Retry-After`. */
const MAX_RETRY_AFTER_MS = 3_600_000;

const RETRYABLE_STATUSES = new Set([408, 425, 429]);
/** Only these statuses mean "come back later" in a way we honour (SPEC §5). */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/** 3xx is never followed, so it fails like any other non-retryable answer; 410 is permanent and the caller disables the subscription. */
export function classifyResponse(status: number, retryAllFailures: boolean): AttemptOutcome {
  if (status >= 200 && status <= 299) return 'succeeded';
  if (retryAllFailures || RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599)) return 'retryable';
  return 'permanent';
}

/** A blocked address will be blocked again next time; every other transport failure may be transient. */
export function classifyError(errorClass: ErrorClass): AttemptOutcome {
  return errorClass === 'blocked' ? 'permanent' : 'retryable';
}

const DELAY_SECONDS = /^\d+$/;
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC_850 = /^[A-Z][a-z]{5,8}, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date (recipients must accept all three date forms). */
export function retryAfterMs(value: string | undefined, nowMs: number): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (DELAY_SECONDS.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const dateMs = httpDateMs(text);
  if (dateMs === null || dateMs < nowMs) return null;
  return Math.min(dateMs - nowMs, MAX_RETRY_AFTER_MS);
}

function httpDateMs(text: string): number | null {
  // asctime carries no zone but is UTC by definition; without one Date.parse would read local time.
  const parseable = IMF_FIXDATE.test(text) || RFC_850.test(text) ? text : ASCTIME.test(text) ? `${text} GMT` : null;
  if (parseable === null) return null;
  const ms = Date.parse(parseable);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The delay before attempt `attemptNumber` (1-based; entry 0 of the schedule precedes the first attempt),
 * with ±10 % jitter so that deliveries failing together do not retry together. Null once the schedule is exhausted.
 */
export function delayBeforeAttempt(schedule: string[], attemptNumber: number, random01: number): number | null {
  const entry = schedule[attemptNumber - 1];
  if (entry === undefined) return null;
  const delay = parseDuration(entry);
  // Schedules are validated when a subscription is written; a bad one here is a bug, not a receiver's doing.
  if (delay === null) throw new Error(`retry schedule entry ${attemptNumber} is not a duration`);
  return Math.round(delay * (0.9 + 0.2 * random01));
}

export interface NextAttemptInput {
  schedule: string[];
  /** The 1-based number of the attempt that has just failed. */
  attemptMade: number;
  random01: number;
  /** The status of that attempt's response, if it got one. */
  status?: number;
  /** What `retryAfterMs` made of its `Retry-After` header. */
  retryAfterMs?: number | null;
}

/**
 * The delay before the attempt after `attemptMade`, or null when the schedule is exhausted: a
 * `Retry-After` never buys extra attempts. On 429 and 503 a `Retry-After` can push the retry later
 * than scheduled (never earlier), up to one hour; on other statuses it is ignored.
 */
export function nextAttemptDelay(input: NextAttemptInput): number | null {
  const scheduled = delayBeforeAttempt(input.schedule, input.attemptMade + 1, input.random01);
  if (scheduled === null) return null;
  const honoured = input.status !== undefined && RETRY_AFTER_STATUSES.has(input.status);
  const retryAfter = honoured ? (input.retryAfterMs ?? null) : null;
  return retryAfter === null ? scheduled : Math.max(scheduled, Math.min(retryAfter, MAX_RETRY_AFTER_MS));
}
