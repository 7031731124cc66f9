import { PartialType } from '@nestjs/swagger';
import { SubscriptionFieldsDto } from '../subscription.dto.js';

/** Every field optional; `null` clears description, filter and rateLimitPerSecond. The secret changes only by rotation. */
export class UpdateSubscriptionRequest extends PartialType(SubscriptionFieldsDto) {}

export const CLEARABLE_FIELDS: ReadonlySet<string> = new Set(['description', 'filter', 'rateLimitPerSecond']);
