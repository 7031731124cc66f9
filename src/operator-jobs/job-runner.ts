import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CONFIG, type Config } from '../config/config.js';
import { ReplayDeliveryCommand } from '../deliveries/replay-delivery/replay-delivery.command.js';
import { eventDecider } from '../events/domain/event.decider.js';
import { eventStream } from '../events/domain/event.events.js';
import { EventsProjection } from '../events/event-view/events.projection.js';
import type { CommandContext, LedgerMetadata } from '../ledger/ledger-context.js';
import { Ledger } from '../ledger/ledger.service.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { DomainError } from '../shared/domain/domain-error.js';
import { newId } from '../shared/crypto/random-ids.js';
import { SubscriptionsProjection } from '../subscriptions/subscription-view/subscriptions.projection.js';
import { jobDecider, JobState } from './domain/job.decider.js';
import { jobStream } from './domain/job.events.js';
import { JobsProjection } from './job-view/jobs.projection.js';

type RunningJob = Exclude<JobState, { status: 'absent' }>;
type Outcome = 'applied' | 'skipped';

const PROGRESS_EVERY = 50;

/**
 * Works through a job's frozen scope, recording progress in its stream. A restart resumes from the
 * last recorded progress; the few steps redone after it are no-ops, because each step is decided on
 * its target's own stream (a delivery remembers which job asked for its replay, an event which
 * subscriptions it went to).
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('JobRunner');
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly ledger: Ledger,
    private readonly runner: ProjectionRunner,
    private readonly jobs: JobsProjection,
    private readonly commands: CommandBus,
    private readonly events: EventsProjection,
    private readonly subscriptions: SubscriptionsProjection,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.roles.includes('worker')) return;
    void this.runner.whenCaughtUp().then(() => {
      for (const jobId of this.jobs.runningIds()) this.run(jobId);
    });
  }

  run(jobId: string): void {
    if (this.stopping || this.running.has(jobId) || !this.config.roles.includes('worker')) return;
    const work = this.execute(jobId)
      .catch((error: Error) => {
        this.logger.error({ msg: 'job stopped; it resumes at the next start', jobId, error: error.message });
      })
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, work);
  }

  private async execute(jobId: string): Promise<void> {
    const loaded = await this.ledger.load(jobStream(jobId), jobDecider);
    const state = loaded.state;
    if (state.status !== 'running') return;
    const started = loaded.events[0]!.metadata as unknown as LedgerMetadata;
    const context = (): CommandContext & { tenantId: string } => ({
      actor: started.actor,
      correlationId: jobId,
      tenantId: state.tenantId,
      now: new Date(),
    });
    let { done, applied, skipped } = state;
    while (done < state.scope.length && !this.stopping) {
      const outcome = await this.step(state, state.scope[done]!, context());
      if (outcome === 'applied') applied++;
      else skipped++;
      done++;
      if (done % PROGRESS_EVERY === 0 || done === state.scope.length || this.stopping) {
        await this.ledger.decide(jobStream(jobId), jobDecider, { type: 'RecordProgress', jobId, tenantId: state.tenantId, done, applied, skipped }, context());
      }
    }
    if (done === state.scope.length) {
      const result = await this.ledger.decide(jobStream(jobId), jobDecider, { type: 'CompleteJob', jobId, tenantId: state.tenantId, at: new Date().toISOString() }, context());
      await this.runner.waitFor(result.position);
    }
  }

  private async step(job: RunningJob, id: string, context: CommandContext & { tenantId: string }): Promise<Outcome> {
    try {
      if (job.kind === 'replay') {
        await this.commands.execute(new ReplayDeliveryCommand(id, job.reason, job.jobId, context));
        return 'applied';
      }
      return await this.backfill(job, id, context);
    } catch (error) {
      if (error instanceof DomainError) return 'skipped';
      throw error;
    }
  }

  private async backfill(job: RunningJob, eventId: string, context: CommandContext & { tenantId: string }): Promise<Outcome> {
    const event = this.events.get(job.tenantId, eventId);
    const subscription = this.subscriptions.get(job.tenantId, job.subscriptionId);
    if (!event || !subscription) return 'skipped';
    const delivery = {
      deliveryId: newId('dlv', context.now.getTime()),
      subscriptionId: subscription.id,
      ordered: subscription.config.ordering === 'key' && event.orderingKey !== null,
    };
    await this.ledger.decide(
      eventStream(job.tenantId, eventId),
      eventDecider,
      { type: 'AddDelivery', eventId, tenantId: job.tenantId, delivery, jobId: job.jobId, at: context.now.toISOString() },
      context,
    );
    return 'applied';
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()]);
  }
}
