import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { ProjectionRunner } from '../projections/projection-runner.js';

/** Prometheus metrics (SPEC §3 operations). Labels are route templates, never raw paths. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'hookledger_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'hookledger_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Every acknowledgement waits for one: the disk's share of a publish's latency, and a slow disk's first sign. */
  readonly ledgerCommits = new Histogram({
    name: 'hookledger_ledger_commit_seconds',
    help: 'Durable writes to the ledger: the embedded store\'s group commits (fsync included), EventStoreDB append calls',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly ledgerAppends = new Counter({
    name: 'hookledger_ledger_committed_appends_total',
    help: 'Appends those writes held (over the commit count: appends per group commit)',
    registers: [this.registry],
  });

  constructor(runner: ProjectionRunner, @Inject(EVENT_STORE) store: EventStore) {
    collectDefaultMetrics({ register: this.registry, prefix: 'hookledger_' });
    store.onCommit(({ seconds, appends }) => {
      this.ledgerCommits.observe(seconds);
      this.ledgerAppends.inc(appends);
    });
    new Gauge({
      name: 'hookledger_projection_checkpoint',
      help: 'Global ledger position the read models have applied',
      registers: [this.registry],
      collect() {
        this.set(Number(runner.checkpoint));
      },
    });
    new Gauge({
      name: 'hookledger_projections_live',
      help: '1 when the read models are caught up and following the ledger live',
      registers: [this.registry],
      collect() {
        this.set(runner.caughtUp ? 1 : 0);
      },
    });
  }
}
