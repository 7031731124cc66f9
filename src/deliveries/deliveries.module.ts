import { Module, OnApplicationShutdown } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CONFIG, type Config } from '../config/config.js';
import { EventsModule } from '../events/events.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { DeliveriesProjection } from './delivery-log/deliveries.projection.js';
import { AttemptRunner, USER_AGENT } from './dispatch/attempt-runner.js';
import { DeliveryScheduler } from './dispatch/delivery-scheduler.js';
import { SendingThread } from './dispatch/sending-thread.js';
import { OperationalEventsReactor } from './operational-events/operational-events.reactor.js';
import { DeliveriesHttpController } from './deliveries.http.controller.js';
import { ReplayDeliveryHandler } from './replay-delivery/replay-delivery.handler.js';

@Module({
  imports: [CqrsModule, EventsModule, SubscriptionsModule],
  controllers: [DeliveriesHttpController],
  providers: [
    ReplayDeliveryHandler,
    DeliveriesProjection,
    AttemptRunner,
    DeliveryScheduler,
    OperationalEventsReactor,
    {
      provide: SendingThread,
      inject: [CONFIG],
      useFactory: (config: Config) => new SendingThread({ allowedNetworks: config.allowedNetworks, userAgent: USER_AGENT }),
    },
  ],
  exports: [DeliveriesProjection],
})
export class DeliveriesModule implements OnApplicationShutdown {
  constructor(private readonly sender: SendingThread) {}

  /** The scheduler has already waited out the grace period: whatever still runs is cut off. */
  async onApplicationShutdown(): Promise<void> {
    await this.sender.destroy();
  }
}
