import { Injectable } from '@nestjs/common';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { type SqlDatabase, prepared } from '../../event-store/read-model.database.js';
import { ReadModelProjection } from '../../projections/read-model-projection.js';
import { JOB_EVENT_TYPES, JobEvent } from '../domain/job.events.js';

export interface JobRow {
  id: string;
  tenant_id: string;
  kind: string;
  subscription_id: string;
  status: 'running' | 'completed';
  total: number;
  done: number;
  applied: number;
  skipped: number;
  created_at: string;
  updated_at: string;
}

/** Bulk jobs and their progress, for `GET /v1/jobs/:id` and to resume running ones at start. */
@Injectable()
export class JobsProjection extends ReadModelProjection {
  readonly name = 'jobs';

  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, kind TEXT NOT NULL, subscription_id TEXT NOT NULL, status TEXT NOT NULL,
        total INTEGER NOT NULL, done INTEGER NOT NULL, applied INTEGER NOT NULL, skipped INTEGER NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
      );
    `);
  }

  apply(db: SqlDatabase, stored: StoredEvent): void {
    if (!JOB_EVENT_TYPES.has(stored.type)) return;
    const event = { type: stored.type, data: stored.data } as JobEvent;
    const at = (stored.metadata.occurredAt as string | undefined) ?? '';
    switch (event.type) {
      case 'JobStarted': {
        const d = event.data;
        prepared(
          db,
          `INSERT OR IGNORE INTO jobs (id, tenant_id, kind, subscription_id, status, total, done, applied, skipped, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'running', ?, 0, 0, 0, ?, ?)`,
        ).run(d.jobId, d.tenantId, d.kind, d.subscriptionId, d.total, d.startedAt, d.startedAt);
        return;
      }
      case 'JobProgressed':
        prepared(db, 'UPDATE jobs SET done = ?, applied = ?, skipped = ?, updated_at = ? WHERE id = ?').run(
          event.data.done,
          event.data.applied,
          event.data.skipped,
          at,
          event.data.jobId,
        );
        return;
      case 'JobCompleted':
        prepared(db, "UPDATE jobs SET status = 'completed', done = total, applied = ?, skipped = ?, updated_at = ? WHERE id = ?").run(
          event.data.applied,
          event.data.skipped,
          at,
          event.data.jobId,
        );
        return;
      case 'JobScoped':
        return;
    }
  }

  get(tenantId: string, id: string): JobRow | undefined {
    return prepared(this.db, 'SELECT * FROM jobs WHERE id = ? AND tenant_id = ?').get(id, tenantId) as JobRow | undefined;
  }

  runningIds(): string[] {
    return (prepared(this.db, "SELECT id FROM jobs WHERE status = 'running' ORDER BY id").all() as Array<{ id: string }>).map((r) => r.id);
  }
}
