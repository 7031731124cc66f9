// Load: publishing to the service (closed loop with N publishers, or open loop at a fixed rate) and
// the raw limit (undici straight to the receiver). Every loop is bounded in time and in count.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, Pool, request } from 'undici';
import { deliveryOutcomes, ledgerStats } from './ledger.mjs';
import { commitsBetween, ledgerCommits } from './metrics.mjs';
import { cpuMeter } from './processes.mjs';
import { eventData, latencySummary, randomSecret, signStandard, sleep, waitUntil, wall } from './util.mjs';

const MAX_REQUESTS = 10_000_000;

/** A tenant with an admin and a publisher key, and `count` subscriptions to `receiverUrl`. */
export async function setUp(service, { rootKey, receiver, eventType, subscriptions = 1 }) {
  const call = async (method, path, key, body) => {
    const response = await request(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await response.body.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${text.slice(0, 500)}`);
    return parsed;
  };
  const tenant = await call('POST', '/v1/tenants', rootKey, { name: `bench-${eventType}` });
  const admin = await call('POST', '/v1/api-keys', rootKey, { name: 'bench-admin', role: 'admin', tenantId: tenant.id });
  const publisher = await call('POST', '/v1/api-keys', rootKey, { name: 'bench-publisher', role: 'publisher', tenantId: tenant.id });
  const before = receiver.count;
  const subs = [];
  for (let i = 0; i < subscriptions; i++) {
    // BENCH_MAX_CONCURRENCY: the subscriptions' maxConcurrency; unset, the product default (10).
    const concurrency = process.env.BENCH_MAX_CONCURRENCY ? { maxConcurrency: Number(process.env.BENCH_MAX_CONCURRENCY) } : {};
    subs.push(await call('POST', '/v1/subscriptions', admin.key, { url: `${receiver.url}/s${i}`, eventTypes: [eventType], description: `bench ${i}`, ...concurrency }));
  }
  // Each new subscription gets one webhook.test event: wait for them, so phases start quiet.
  await waitUntil(() => receiver.count - before >= subscriptions, { timeoutMs: 30_000, what: 'test events' });
  return { tenantId: tenant.id, adminKey: admin.key, publisherKey: publisher.key, subscriptions: subs, call };
}

/**
 * Publishes `eventType` events of 1 KiB and measures deliveries/s from the first publish sent to
 * the last `DeliverySucceeded` in the ledger.
 *
 * - `batch`: events per request (1: POST /v1/events; more: POST /v1/events/batch).
 * - closed loop (`concurrency` publishers, each sending its next request when the last answered),
 *   held back while more than `backlog` deliveries are accepted but not yet at the receiver, so the
 *   figure is sustained delivery throughput, not a queue filling up; or open loop at `rate` events/s
 *   (latency at a given load: the send time is the scheduled time, so a stall is not hidden).
 * - `recordLatency`: publish send time → arrival at the receiver, per event (webhook-id).
 */
export async function publishPhase({ label, service, receiver, publisherKey, eventType, seconds, batch = 1, concurrency = 64, rate = null, backlog = 5000, recordLatency = false, workDir, drainTimeoutMs = 300_000, log }) {
  const pool = new Pool(service.url, { connections: concurrency, pipelining: 1 });
  const headers = { authorization: `Bearer ${publisherKey}`, 'content-type': 'application/json' };
  const path = batch === 1 ? '/v1/events' : '/v1/events/batch';
  const p0 = ledgerStats(service.dataDir).maxPosition;
  const commitsBefore = await ledgerCommits(service);
  const base = (await receiver.stats()).count;
  if (recordLatency) await receiver.record(true);
  const sendTimes = recordLatency ? new Map() : null;
  // With BENCH_LATENCY_TRACE: per event, when its request actually went out and when its 202 came back.
  const traced = recordLatency && process.env.BENCH_LATENCY_TRACE ? new Map() : null;
  let seq = 0;
  let accepted = 0;
  let expected = 0;
  let rejected = 0;
  let failedRequests = 0;
  let requests = 0;
  let lastError = null;
  let firstSend = null;
  let lateSends = 0;
  let inFlight = 0;
  const publishLatency = [];

  const send = async (sentAt) => {
    const wentAt = traced ? wall() : 0;
    firstSend ??= sentAt;
    requests++;
    inFlight++;
    const events = Array.from({ length: batch }, () => ({ type: eventType, data: eventData(seq++) }));
    try {
      const response = await pool.request({
        path,
        method: 'POST',
        headers,
        body: JSON.stringify(batch === 1 ? events[0] : { events }),
        headersTimeout: 60_000,
        bodyTimeout: 60_000,
      });
      const body = await response.body.json().catch(() => null);
      publishLatency.push(wall() - sentAt);
      if (response.statusCode !== 202 || !body) {
        failedRequests++;
        lastError = `${response.statusCode} ${JSON.stringify(body).slice(0, 300)}`;
        return;
      }
      const results = batch === 1 ? [{ status: 202, event: body }] : body.data;
      for (const result of results) {
        if (result.status !== 202) {
          rejected++;
          lastError = JSON.stringify(result).slice(0, 300);
          continue;
        }
        accepted++;
        expected += result.event.deliveries.length;
        sendTimes?.set(result.event.id, sentAt);
        traced?.set(result.event.id, { wentAt, ackedAt: wall() });
      }
    } catch (error) {
      failedRequests++;
      lastError = error.message;
    } finally {
      inFlight--;
    }
  };

  const cpu = cpuMeter({ service: service.pid, receiver: receiver.pid });
  const started = wall();
  const endAt = started + seconds * 1000;
  const backlogged = () => expected - (receiver.count - base) >= backlog;
  if (rate === null) {
    const publisher = async () => {
      while (wall() < endAt && requests < MAX_REQUESTS) {
        while (backlogged() && wall() < endAt) await sleep(2);
        if (wall() >= endAt) break;
        await send(wall());
        if (failedRequests > 100) throw new Error(`${label}: more than 100 failed publish requests; last: ${lastError}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, publisher));
  } else {
    // Open loop: request i is due at started + i / (rate / batch) seconds.
    const interval = (1000 * batch) / rate;
    const pending = new Set();
    for (let i = 0; i < MAX_REQUESTS; i++) {
      const due = started + i * interval;
      if (due >= endAt) break;
      const wait = due - wall();
      if (wait > 1) await sleep(wait - 0.5);
      if (inFlight >= concurrency) {
        // The service is not keeping up: wait for a free publisher, the request goes late (its
        // latency still counts from when it was due).
        lateSends++;
        await waitUntil(() => inFlight < concurrency, { timeoutMs: 120_000, intervalMs: 1, what: 'a free publisher' });
      }
      const p = send(due);
      pending.add(p);
      p.finally(() => pending.delete(p));
      if (failedRequests > 100) throw new Error(`${label}: more than 100 failed publish requests; last: ${lastError}`);
    }
    await Promise.all(pending);
  }
  const publishEnd = wall();
  await pool.close();

  // Everything accepted reaches the receiver, then every delivery's outcome is in the ledger.
  await waitUntil(() => receiver.count - base >= expected, { timeoutMs: drainTimeoutMs, intervalMs: 25, what: `${label}: ${expected} deliveries at the receiver (${receiver.count - base} so far)` });
  const receivedAt = wall();
  const outcomes = await waitUntil(
    () => {
      const o = deliveryOutcomes(service.dataDir, p0);
      return o.succeeded + o.failed >= expected ? o : null;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: `${label}: delivery outcomes in the ledger` },
  );
  const cpuCores = cpu();
  const received = (await receiver.stats()).count - base;
  const ledgerCommitsInPhase = commitsBetween(commitsBefore, await ledgerCommits(service));

  let latency = null;
  if (recordLatency) {
    await receiver.record(false);
    const arrivals = await receiver.arrivals(join(workDir, `arrivals-${randomUUID()}.txt`));
    const values = [];
    let missing = 0;
    for (const [id, sentAt] of sendTimes) {
      const at = arrivals.get(id);
      if (at === undefined) missing++;
      else values.push(at - sentAt);
    }
    latency = { ...latencySummary(values), missing };
    if (traced) {
      // Per event, for looking at when the slow ones happen and where their time went: "due time (ms from
      // the phase's start) latency (ms) due time (unix ms, to line up with the service's log) request sent
      // late by (ms) 202 after (ms)"; the last two from the due time.
      const lines = [];
      for (const [id, sentAt] of sendTimes) {
        const at = arrivals.get(id);
        const { wentAt, ackedAt } = traced.get(id);
        if (at !== undefined) {
          lines.push(`${(sentAt - started).toFixed(2)} ${(at - sentAt).toFixed(2)} ${sentAt.toFixed(1)} ${(wentAt - sentAt).toFixed(2)} ${(ackedAt - sentAt).toFixed(2)}`);
        }
      }
      writeFileSync(`${process.env.BENCH_LATENCY_TRACE}-${label.replace(/[^a-z0-9]+/gi, '-')}.txt`, lines.join('\n') + '\n');
    }
  }
  const publishSeconds = (publishEnd - started) / 1000;
  const windowSeconds = outcomes.lastSucceededAt ? (outcomes.lastSucceededAt - firstSend) / 1000 : null;
  const result = {
    label,
    mode: rate === null ? 'closed loop' : `open loop at ${Math.round(rate)} events/s`,
    batch,
    publishers: concurrency,
    backlogCap: rate === null ? backlog : null,
    publishSeconds,
    requests,
    failedRequests,
    eventsAccepted: accepted,
    eventsRejected: rejected,
    publishedPerSecond: accepted / publishSeconds,
    publishRequestLatencyMs: latencySummary(publishLatency),
    deliveriesExpected: expected,
    receivedRequests: received,
    duplicates: Math.max(0, received - expected),
    ledger: outcomes,
    windowSeconds,
    drainSeconds: (receivedAt - publishEnd) / 1000,
    deliveriesPerSecond: windowSeconds ? outcomes.succeeded / windowSeconds : null,
    latencyMs: latency,
    ledgerCommits: ledgerCommitsInPhase,
    lateSends,
    cpuCores,
    lastError,
  };
  log?.(
    `  ${label}: ${Math.round(result.deliveriesPerSecond ?? 0)} deliveries/s (${outcomes.succeeded} in ${windowSeconds?.toFixed(1)} s; published ${Math.round(result.publishedPerSecond)} events/s` +
      (latency ? `; latency p50 ${latency.p50} ms p99 ${latency.p99} ms` : '') +
      (ledgerCommitsInPhase ? `; ledger commits ${ledgerCommitsInPhase.commits} of ${ledgerCommitsInPhase.appendsPerCommit} appends, p50 <= ${ledgerCommitsInPhase.p50AtMostMs} ms p99 <= ${ledgerCommitsInPhase.p99AtMostMs} ms max <= ${ledgerCommitsInPhase.maxAtMostMs ?? '>2500'} ms, ${ledgerCommitsInPhase.slower} over ${ledgerCommitsInPhase.slowerThanMs} ms` : '') +
      `; CPU cores service ${cpuCores.service} receiver ${cpuCores.receiver} harness ${cpuCores.harness} other ${cpuCores.other}` +
      (outcomes.failed || outcomes.retries || failedRequests || rejected ? `; failed ${outcomes.failed} retries ${outcomes.retries} failed requests ${failedRequests} rejected ${rejected}` : '') +
      ')',
  );
  return result;
}

/**
 * The raw limit: the same signed 1 KiB webhook body POSTed with undici `request` to the same
 * receiver over `connections` keep-alive connections (one request in flight on each, like the
 * service's agent), as fast as it answers.
 */
export async function rawPhase({ label, receiverUrl, receiverPid, connections, seconds, log }) {
  const agent = new Agent({ connections, pipelining: 1 });
  const id = 'evt_01BENCHRAW000000000000000';
  const body = JSON.stringify({ id, type: 'order.paid', timestamp: new Date().toISOString(), data: eventData(0) });
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'hookledger/bench',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signStandard(randomSecret(), id, timestamp, body),
  };
  let ok = 0;
  let failed = 0;
  const cpu = cpuMeter(receiverPid ? { receiver: receiverPid } : {});
  const started = wall();
  const endAt = started + seconds * 1000;
  const worker = async () => {
    while (wall() < endAt && ok + failed < MAX_REQUESTS) {
      try {
        const response = await request(`${receiverUrl}/raw`, { dispatcher: agent, method: 'POST', headers, body });
        await response.body.dump();
        if (response.statusCode < 300) ok++;
        else failed++;
      } catch {
        failed++;
        if (failed > 100) throw new Error(`${label}: more than 100 failed requests`);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (wall() - started) / 1000;
  await agent.close();
  const result = { label, connections, bodyBytes: Buffer.byteLength(body), seconds: elapsed, requests: ok, failed, requestsPerSecond: ok / elapsed, cpuCores: cpu() };
  log?.(`  ${label}: ${Math.round(result.requestsPerSecond)} requests/s; CPU cores receiver ${result.cpuCores.receiver} harness ${result.cpuCores.harness} other ${result.cpuCores.other}`);
  return result;
}
