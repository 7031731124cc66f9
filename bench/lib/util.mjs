// Small helpers shared by the benchmark harness: time, waiting with bounds, percentiles, payloads.
import { createHmac, randomBytes } from 'node:crypto';

/** Epoch milliseconds with sub-millisecond resolution; comparable across processes on one machine. */
export const wall = () => performance.timeOrigin + performance.now();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something truthy; throws after `timeoutMs`. Bounded in time. */
export async function waitUntil(check, { timeoutMs, intervalMs = 20, what = 'condition' }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function latencySummary(values) {
  const sorted = Float64Array.from(values).sort();
  const round = (v) => (v === null ? null : Math.round(v * 100) / 100);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : null),
  };
}

const PAYLOAD_BYTES = 1024;
const PAD = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '.repeat(20);

/**
 * The published `data`: a plausible order event whose JSON is exactly 1 KiB (1024 bytes) for every
 * sequence number up to 10^10 (the number is zero-padded).
 */
export function eventData(seq) {
  const n = String(seq).padStart(10, '0');
  const base = {
    orderId: `ord_${n}`,
    status: 'paid',
    amount: { value: 12999, currency: 'EUR' },
    customer: { id: `cus_${n}`, email: `customer-${n}@example.com`, country: 'DE' },
    items: [
      { sku: 'SKU-0001', quantity: 2, price: 4999 },
      { sku: 'SKU-0002', quantity: 1, price: 3001 },
    ],
    note: '',
  };
  const without = Buffer.byteLength(JSON.stringify(base));
  base.note = PAD.slice(0, PAYLOAD_BYTES - without);
  return base;
}

/** Standard Webhooks signature of one request, as hookledger signs it. */
export function signStandard(secretBytes, msgId, timestampSec, body) {
  return `v1,${createHmac('sha256', secretBytes).update(`${msgId}.${timestampSec}.${body}`).digest('base64')}`;
}

export function randomSecret() {
  return randomBytes(24);
}

export const round = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits);
