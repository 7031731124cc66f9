import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { EventsProjection } from './event-view/events.projection.js';
import { EventRoutingQuery } from './event-routing/event-routing.query.js';
import { EventsHttpController } from './events.http.controller.js';
import { EventPublisher } from './publish-event/event-publisher.js';
import { SendTestEventHandler } from './send-test-event/send-test-event.handler.js';

@Module({
  imports: [CqrsModule, SubscriptionsModule],
  controllers: [EventsHttpController],
  providers: [EventsProjection, EventPublisher, SendTestEventHandler, EventRoutingQuery],
  exports: [EventsProjection, EventPublisher],
})
export class EventsModule {}
