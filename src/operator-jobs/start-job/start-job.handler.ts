import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DeliveriesProjection } from '../../deliveries/delivery-log/deliveries.projection.js';
import { route } from '../../events/domain/routing.js';
import { EventRow, EventsProjection } from '../../events/event-view/events.projection.js';
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
    const scope = await this.scope(kind, subscription, window);
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

  private async scope(kind: JobKind, subscription: SubscriptionRow, window: JobWindow): Promise<string[]> {
    if (kind === 'replay') return this.deliveries.idsForReplay(subscription.id, window.since, window.until, window.statuses);
    // Judged without the data first: only an event of a matching type for a subscription with a
    // filter needs its data, read from the ledger once the view's rows have all been read.
    const candidates: Array<{ event: EventRow; needsData: boolean }> = [];
    for (const event of this.events.inWindow(subscription.tenantId, window.since, window.until)) {
      if (event.test || event.deliveries.some((d) => d.subscriptionId === subscription.id)) continue;
      const verdict = route(subscription, { type: event.type, data: undefined });
      if (verdict.matched || verdict.reason === 'filter') candidates.push({ event, needsData: !verdict.matched });
    }
    const ids: string[] = [];
    for (const { event, needsData } of candidates) {
      if (!needsData || route(subscription, await this.events.withData(event)).matched) ids.push(event.id);
    }
    return ids;
  }


}
