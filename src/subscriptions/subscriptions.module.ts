import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ChangeSubscriptionStatusHandler } from './change-subscription-status/change-subscription-status.handler.js';
import { CreateSubscriptionHandler } from './create-subscription/create-subscription.handler.js';
import { RotateSecretHandler } from './rotate-secret/rotate-secret.handler.js';
import { SubscriptionStore } from './subscription-store.js';
import { SubscriptionsProjection } from './subscription-view/subscriptions.projection.js';
import { SubscriptionsHttpController } from './subscriptions.http.controller.js';
import { UpdateSubscriptionHandler } from './update-subscription/update-subscription.handler.js';

@Module({
  imports: [CqrsModule],
  controllers: [SubscriptionsHttpController],
  providers: [
    SubscriptionsProjection,
    SubscriptionStore,
    CreateSubscriptionHandler,
    UpdateSubscriptionHandler,
    ChangeSubscriptionStatusHandler,
    RotateSecretHandler,
  ],
  exports: [SubscriptionsProjection, SubscriptionStore],
})
export class SubscriptionsModule {}
