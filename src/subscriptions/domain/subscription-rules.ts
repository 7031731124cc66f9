import { parseDuration } from '../../shared/domain/duration.js';
import type { EventFilter, RetryPolicy, SubscriptionConfig } from './subscription.events.js';

/** SPEC §5: the delay before each attempt, ~23 h in all. */
export const DEFAULT_RETRY_SCHEDULE = ['0s', '5s', '30s', '2m', '10m', '30m', '1h', '3h', '6h', '12h'];

export const SUBSCRIPTION_DEFAULTS: Omit<SubscriptionConfig, 'url' | 'eventTypes'> = {
  description: null,
  headers: {},
  filter: null,
  retryPolicy: { schedule: DEFAULT_RETRY_SCHEDULE, retryAllFailures: false },
  timeoutMs: 15_000,
  maxConcurrency: 10,
  rateLimitPerSecond: null,
  ordering: 'none',
  signature: { scheme: 'standard' },
  payload: 'envelope',
};

const EVENT_TYPE_PATTERN = /^(?:\*|[A-Za-z0-9_:-][A-Za-z0-9_.:-]*?(?:\.\*)?)$/;

export function eventTypePatternProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0 || value.length > 128) return 'must be 1 to 128 characters';
  if (!EVENT_TYPE_PATTERN.test(value) || value.endsWith('.') || value.includes('..')) {
    return `"${value}" must be made of A-Z a-z 0-9 _ . : - with an optional trailing ".*", or a lone "*"`;
  }
  return null;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'content-type', 'user-agent']);

export function headerNameProblem(name: string): string | null {
  if (!TOKEN.test(name) || name.length > 256) return `"${name}" is not an HTTP header name`;
  const lower = name.toLowerCase();
  if (FORBIDDEN_HEADERS.has(lower) || lower.startsWith('webhook-')) return `"${name}" is set by hookledger and cannot be overridden`;
  return null;
}

export function headerMapProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object of header names to values';
  const entries = Object.entries(value);
  if (entries.length > 20) return 'at most 20 headers';
  for (const [name, headerValue] of entries) {
    const nameProblem = headerNameProblem(name);
    if (nameProblem) return nameProblem;
    if (typeof headerValue !== 'string') return `the value of "${name}" must be a string`;
    if (Buffer.byteLength(headerValue) > 1024) return `the value of "${name}" is over 1 KiB`;
    if (!/^[\t\x20-\x7e]*$/.test(headerValue)) return `the value of "${name}" must be printable ASCII (tab allowed)`;
  }
  return null;
}

const PATH = /^[A-Za-z0-9_-]{1,64}(?:\.[A-Za-z0-9_-]{1,64}){0,9}$/;
const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

export function filterProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object of data paths to values';
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.length > 20) return 'must have 1 to 20 entries';
  for (const [path, expected] of entries) {
    if (!PATH.test(path) || path.split('.').some((s) => UNSAFE_SEGMENTS.has(s))) {
      return `"${path}" is not a data path (names of A-Z a-z 0-9 _ - joined by dots)`;
    }
    if (Array.isArray(expected)) {
      if (expected.length === 0 || expected.length > 100 || !expected.every(isScalar)) {
        return `"${path}" must be a value or a list of 1 to 100 values (string, number, boolean or null)`;
      }
    } else if (!isScalar(expected)) {
      return `"${path}" must be a value (string, number, boolean or null) or a list of them`;
    }
  }
  return null;
}

const MAX_DELAY_MS = 24 * 3_600_000;

export function scheduleEntryProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a duration string';
  const ms = parseDuration(value);
  if (ms === null) return `"${value}" is not a duration like "0s", "5m" or "12h"`;
  if (ms > MAX_DELAY_MS) return `"${value}" is over 24h`;
  return null;
}

export function secretProblem(value: unknown): string | null {
  if (typeof value !== 'string' || !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(value)) return 'must be "whsec_" followed by base64';
  const bytes = Buffer.from(value.slice(6), 'base64').length;
  if (bytes < 24 || bytes > 64) return 'must hold 24 to 64 bytes of key';
  return null;
}

/** SPEC §6: absolute https (http only when allowed), at most 2048 characters, no credentials. */
export function urlProblem(value: string, allowInsecure: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    return allowInsecure ? 'must be an http:// or https:// URL' : 'must be an https:// URL';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  if (!url.hostname) return 'must name a host';
  return null;
}

const SENSITIVE_HEADER = /(auth|token|secret|key|signature|password|cookie|session)/i;

/** Custom header values whose names look like credentials are shown as `[redacted]`. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, SENSITIVE_HEADER.test(name) ? '[redacted]' : value]));
}

export function retryPolicyOf(policy: Partial<RetryPolicy> | undefined): RetryPolicy {
  return {
    schedule: policy?.schedule ?? DEFAULT_RETRY_SCHEDULE,
    retryAllFailures: policy?.retryAllFailures ?? false,
  };
}

export type { EventFilter };
