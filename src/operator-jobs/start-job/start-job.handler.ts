import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DeliveriesProjection } from '../../deliveries/delivery-log/deliveries.projection.js';
import { route } from '../../events/domain/routing.js';
import { EventsProjection } from '../../events/event-view/events.projection.js';
import { Ledger } from '../../ledger/ledger.service.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { notFound } from '../../shared/domain/domain-error.js';
import { newId } from '../../shared/crypto/random-ids.js';
import { SubscriptionRow, SubscriptionsProjection } from '../../subscriptions/subscription-view/subscriptions.projection.js';
import { jobDecider } from '../domain/job.decider.js';
import { JobKind, jobStream, JobWindow } from '../domain/job.events.js';
import { JobRunner } from '../job-runner.js';
import { StartJobCommand } from './start-job.command.js';

/** Freezes the job's scope in the ledger, then hands it to the runner; answers how many it covers. */
@CommandHandler(StartJobCommand)
export class StartJobHandler implements ICommandHandler<StartJobCommand> {
  constructor(
    private readonly ledger: Ledger,
    private readonly runner: ProjectionRunner,
    private readonly subscriptions: SubscriptionsProjection,
    private readonly deliveries: DeliveriesProjection,
    private readonly events: EventsProjection,
    private readonly jobs: JobRunner,
  ) {}

  async execute({ kind, subscriptionId, window, reason, context }: StartJobCommand): Promise<{ jobId: string; total: number }> {
    const subscription = this.subscriptions.get(context.tenantId, subscriptionId);
    if (!subscription) throw notFound('SUBSCRIPTION.NOT_FOUND', `Subscription ${subscriptionId} not found`);
    const jobId = newId('job', context.now.getTime());
    const scope = this.scope(kind, subscription, window);
    const result = await this.ledger.decide(
      jobStream(jobId),
      jobDecider,
      { type: 'StartJob', jobId, tenantId: context.tenantId, kind, subscriptionId, window, reason, scope, at: context.now.toISOString() },
      context,
    );
    await this.runner.waitFor(result.position);
    this.jobs.run(jobId);
    return { jobId, total: scope.length };
  }

  private scope(kind: JobKind, subscription: SubscriptionRow, window: JobWindow): string[] {
    if (kind === 'replay') return this.deliveries.idsForReplay(subscription.id, window.since, window.until, window.statuses);
    const ids: string[] = [];
    for (const event of this.events.inWindow(subscription.tenantId, window.since, window.until)) {
      if (event.test || event.deliveries.some((d) => d.subscriptionId === subscription.id)) continue;
      if (route(subscription, event).matched) ids.push(event.id);
    }
    return ids;
  }
}
