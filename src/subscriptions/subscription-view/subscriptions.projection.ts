import { Injectable } from '@nestjs/common';
import type { StoredEvent } from '../../event-store/event-store.port.js';
import { type SqlDatabase, prepared } from '../../event-store/read-model.database.js';
import { ReadModelProjection } from '../../projections/read-model-projection.js';
import type { SealedSecret, SubscriptionConfig, SubscriptionEvent } from '../domain/subscription.events.js';
import { SUBSCRIPTION_EVENT_TYPES } from '../domain/subscription.events.js';

export interface SubscriptionRow {
  id: string;
  tenantId: string;
  status: 'active' | 'paused' | 'disabled' | 'deleted';
  disabledReason: string | null;
  config: SubscriptionConfig;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  tenant_id: string;
  status: SubscriptionRow['status'];
  disabled_reason: string | null;
  config: string;
  created_at: string;
  updated_at: string;
}

const toRow = (r: Row): SubscriptionRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  status: r.status,
  disabledReason: r.disabled_reason,
  config: JSON.parse(r.config) as SubscriptionConfig,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The subscription list and detail view. Secrets never reach it. */
@Injectable()
export class SubscriptionsProjection extends ReadModelProjection {
  readonly name = 'subscriptions';
  /** Every publish routes against its tenant's subscriptions: kept parsed until one of them changes. */
  private readonly byTenant = new Map<string, readonly SubscriptionRow[]>();
  /** The dispatcher looks a subscription and its secrets up for every attempt: same idea. */
  private readonly byId = new Map<string, SubscriptionRow | undefined>();
  private readonly secrets = new Map<string, Array<SealedSecret & { validUntil: string | null }>>();

  migrate(db: SqlDatabase): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS subscriptions (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, status TEXT NOT NULL, disabled_reason TEXT,
        config TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS subscriptions_by_tenant ON subscriptions (tenant_id, id);
      CREATE TABLE IF NOT EXISTS subscription_secrets (
        subscription_id TEXT NOT NULL, secret_id TEXT NOT NULL, sealed TEXT NOT NULL, valid_until TEXT,
        PRIMARY KEY (subscription_id, secret_id)
      );
    `);
  }

  apply(db: SqlDatabase, stored: StoredEvent): void {
    if (!SUBSCRIPTION_EVENT_TYPES.has(stored.type)) return;
    const event = { type: stored.type, data: stored.data } as SubscriptionEvent;
    this.byTenant.delete(event.data.tenantId);
    this.byId.delete(event.data.subscriptionId);
    this.secrets.delete(event.data.subscriptionId);
    const at = (stored.metadata.occurredAt as string | undefined) ?? '';
    const id = event.data.subscriptionId;
    const setStatus = (status: SubscriptionRow['status'], reason: string | null = null) =>
      prepared(db, 'UPDATE subscriptions SET status = ?, disabled_reason = ?, updated_at = ? WHERE id = ?').run(status, reason, at, id);
    switch (event.type) {
      case 'SubscriptionCreated':
        prepared(
          db,
          'INSERT OR IGNORE INTO subscriptions (id, tenant_id, status, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(id, event.data.tenantId, 'active', JSON.stringify(event.data.config), event.data.createdAt, event.data.createdAt);
        prepared(db, 'INSERT OR IGNORE INTO subscription_secrets (subscription_id, secret_id, sealed) VALUES (?, ?, ?)').run(
          id,
          event.data.secret.id,
          event.data.secret.sealed,
        );
        return;
      case 'SubscriptionUpdated': {
        const row = prepared(db, 'SELECT config FROM subscriptions WHERE id = ?').get(id) as { config: string } | undefined;
        if (!row) return;
        const config = { ...(JSON.parse(row.config) as SubscriptionConfig), ...event.data.changes };
        prepared(db, 'UPDATE subscriptions SET config = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(config), at, id);
        return;
      }
      case 'SubscriptionPaused':
        setStatus('paused');
        return;
      case 'SubscriptionResumed':
        setStatus('active');
        return;
      case 'SubscriptionDisabled':
        setStatus('disabled', event.data.reason);
        return;
      case 'SubscriptionDeleted':
        setStatus('deleted');
        return;
      case 'SubscriptionSecretRotated': {
        const { secret, previousSecretId, previousValidUntil, rotatedAt } = event.data;
        prepared(db, 'UPDATE subscriptions SET updated_at = ? WHERE id = ?').run(at, id);
        prepared(db, 'UPDATE subscription_secrets SET valid_until = ? WHERE subscription_id = ? AND secret_id = ?').run(
          previousValidUntil,
          id,
          previousSecretId,
        );
        prepared(db, 'DELETE FROM subscription_secrets WHERE subscription_id = ? AND valid_until IS NOT NULL AND valid_until <= ?').run(
          id,
          rotatedAt,
        );
        prepared(db, 'INSERT OR IGNORE INTO subscription_secrets (subscription_id, secret_id, sealed) VALUES (?, ?, ?)').run(
          id,
          secret.id,
          secret.sealed,
        );
        return;
      }
    }
  }

  /** A live (not deleted) subscription of the tenant. */
  get(tenantId: string, id: string): SubscriptionRow | undefined {
    const row = prepared(this.db, "SELECT * FROM subscriptions WHERE id = ? AND tenant_id = ? AND status <> 'deleted'").get(
      id,
      tenantId,
    ) as Row | undefined;
    return row ? toRow(row) : undefined;
  }

  list(tenantId: string, options: { status?: string; after?: string; limit: number }): SubscriptionRow[] {
    const rows = prepared(
      this.db,
      `SELECT * FROM subscriptions WHERE tenant_id = ? AND status <> 'deleted'
         AND (? IS NULL OR status = ?) AND (? IS NULL OR id > ?) ORDER BY id LIMIT ?`,
    ).all(tenantId, options.status ?? null, options.status ?? null, options.after ?? null, options.after ?? null, options.limit) as Row[];
    return rows.map(toRow);
  }

  /** Sealed secrets that sign a request sent at `at`: the current one first, then those in their grace period. */
  signingSecrets(subscriptionId: string, at: string): SealedSecret[] {
    let all = this.secrets.get(subscriptionId);
    if (!all) {
      all = prepared(
        this.db,
        `SELECT secret_id AS id, sealed, valid_until AS validUntil FROM subscription_secrets WHERE subscription_id = ?
         ORDER BY valid_until IS NOT NULL, valid_until DESC`,
      ).all(subscriptionId) as Array<SealedSecret & { validUntil: string | null }>;
      this.secrets.set(subscriptionId, all);
    }
    return all.filter((s) => s.validUntil === null || s.validUntil > at).map(({ id, sealed }) => ({ id, sealed }));
  }

  /** Any subscription of the tenant, deleted ones included (the dispatcher decides what to do with them). */
  find(id: string): SubscriptionRow | undefined {
    if (this.byId.has(id)) return this.byId.get(id);
    const row = prepared(this.db, 'SELECT * FROM subscriptions WHERE id = ?').get(id) as Row | undefined;
    const found = row ? toRow(row) : undefined;
    if (this.byId.size > 10_000) this.byId.clear();
    this.byId.set(id, found);
    return found;
  }

  /** Ids of every subscription the tenant ever had, deleted ones included. */
  everIdsOfTenant(tenantId: string): string[] {
    return (prepared(this.db, 'SELECT id FROM subscriptions WHERE tenant_id = ? ORDER BY id').all(tenantId) as Array<{ id: string }>).map(
      (r) => r.id,
    );
  }

  /** Every live subscription of the tenant (fan-out decisions). */
  allOfTenant(tenantId: string): readonly SubscriptionRow[] {
    let rows = this.byTenant.get(tenantId);
    if (!rows) {
      rows = (
        prepared(this.db, "SELECT * FROM subscriptions WHERE tenant_id = ? AND status <> 'deleted' ORDER BY id").all(tenantId) as Row[]
      ).map(toRow);
      this.byTenant.set(tenantId, rows);
    }
    return rows;
  }
}
