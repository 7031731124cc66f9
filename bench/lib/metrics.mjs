// The service's own account of its ledger writes, from `/metrics`: read before and after a phase,
// the difference is that phase's commits — how many, how many appends each held, and how long the
// disk took — beside what the load generator saw.
import { request } from 'undici';

const COMMITS = 'hookledger_ledger_commit_seconds';
const APPENDS = 'hookledger_ledger_committed_appends_total';

/**
 * Cumulative counts per bucket bound (seconds, `+Inf` last), the commit count and the appends; null
 * when `/metrics` does not answer (a `HOOKLEDGER_METRICS_TOKEN` given through `BENCH_SERVICE_ENV`).
 */
export async function ledgerCommits(service) {
  const response = await request(`${service.url}/metrics`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await response.body.text();
  if (response.statusCode !== 200) return null;
  const buckets = [];
  for (const match of text.matchAll(new RegExp(`^${COMMITS}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    buckets.push({ le: match[1] === '+Inf' ? Infinity : Number(match[1]), count: Number(match[2]) });
  }
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { buckets, commits: value(`${COMMITS}_count`), appends: value(APPENDS) };
}

/**
 * The commits between two readings: p50, p99 and the slowest as the bucket bound they fall under
 * (`≤ x ms`; null past the last bound), and how many took longer than `slowMs`.
 */
export function commitsBetween(before, after, slowMs = 10) {
  if (!before || !after) return null;
  const commits = after.commits - before.commits;
  if (!(commits > 0)) return null;
  const counts = after.buckets.map((bucket, i) => ({ le: bucket.le, count: bucket.count - (before.buckets[i]?.count ?? 0) }));
  const under = (q) => counts.find((bucket) => bucket.count >= q * commits)?.le ?? Infinity;
  const ms = (seconds) => (seconds === Infinity ? null : Math.round(seconds * 1e4) / 10);
  const within = counts.find((bucket) => bucket.le >= slowMs / 1000);
  return {
    commits,
    appendsPerCommit: Math.round(((after.appends - before.appends) / commits) * 10) / 10,
    p50AtMostMs: ms(under(0.5)),
    p99AtMostMs: ms(under(0.99)),
    maxAtMostMs: ms(under(1)),
    slowerThanMs: slowMs,
    slower: within ? commits - within.count : null,
  };
}
