import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { CommandContext } from '../ledger/ledger-context.js';
import { Ledger } from '../ledger/ledger.service.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { SecretBox } from '../shared/crypto/secret-box.js';
import { notFound } from '../shared/domain/domain-error.js';
import { newId } from '../shared/crypto/random-ids.js';
import { SubscriptionCommand, subscriptionDecider, SubscriptionState } from './domain/subscription.decider.js';
import { SealedSecret, subscriptionStream } from './domain/subscription.events.js';
import { SubscriptionRow, SubscriptionsProjection } from './subscription-view/subscriptions.projection.js';

export type TenantContext = CommandContext & { tenantId: string };

export interface SubscriptionResult {
  subscription: SubscriptionRow;
  /** In clear, only from create and rotate. */
  secret?: string;
}

/** What every subscription use case does: decide on the stream, then answer from the view once it has the change. */
@Injectable()
export class SubscriptionStore {
  constructor(
    private readonly ledger: Ledger,
    private readonly runner: ProjectionRunner,
    private readonly view: SubscriptionsProjection,
    private readonly secretBox: SecretBox,
  ) {}

  async decide(command: SubscriptionCommand, context: TenantContext): Promise<SubscriptionRow | null> {
    const result = await this.ledger.decide(subscriptionStream(command.subscriptionId), subscriptionDecider, command, context);
    await this.runner.waitFor(result.position);
    return this.view.get(context.tenantId, command.subscriptionId) ?? null;
  }

  load(subscriptionId: string): Promise<{ state: SubscriptionState }> {
    return this.ledger.load(subscriptionStream(subscriptionId), subscriptionDecider);
  }

  /** A new signing secret (the caller's, or 32 random bytes), sealed for the ledger. */
  newSecret(now: Date, given?: string): { clear: string; sealed: SealedSecret } {
    const clear = given ?? `whsec_${randomBytes(32).toString('base64')}`;
    return { clear, sealed: { id: newId('sec', now.getTime()), sealed: this.secretBox.seal(clear) } };
  }

  openSecret(sealed: SealedSecret): string {
    return this.secretBox.open(sealed.sealed);
  }

  found(row: SubscriptionRow | null, subscriptionId: string): SubscriptionRow {
    if (!row) throw notFound('SUBSCRIPTION.NOT_FOUND', `Subscription ${subscriptionId} not found`);
    return row;
  }
}
