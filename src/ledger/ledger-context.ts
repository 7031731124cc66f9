/** Who did it: every ledger event's metadata names its actor (SPEC §2). */
export type Actor =
  | { type: 'api_key'; id: string; name: string; role: string; tenantId: string }
  | { type: 'root' }
  | { type: 'system'; reason?: string };

/** What a command carries besides its data: the actor, the correlation id, the tenant and the time. */
export interface CommandContext {
  actor: Actor;
  correlationId: string;
  /** The tenant the command acts in; absent only for root actions outside any tenant. */
  tenantId?: string;
  now: Date;
}

export interface LedgerMetadata {
  actor: Actor;
  correlationId: string;
  tenantId: string | null;
  occurredAt: string;
  /** sha256 of the previous event of the stream; null for its first event. */
  prevHash: string | null;
}
