import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DeliveriesModule } from '../deliveries/deliveries.module.js';
import { EventsModule } from '../events/events.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { JobRunner } from './job-runner.js';
import { JobsProjection } from './job-view/jobs.projection.js';
import { OperatorJobsHttpController } from './operator-jobs.http.controller.js';
import { StartJobHandler } from './start-job/start-job.handler.js';

@Module({
  imports: [CqrsModule, SubscriptionsModule, EventsModule, DeliveriesModule],
  controllers: [OperatorJobsHttpController],
  providers: [JobsProjection, JobRunner, StartJobHandler],
})
export class OperatorJobsModule {}
