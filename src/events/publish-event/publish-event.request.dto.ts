import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const EVENT_TYPE = /^[A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)*$/;
export const EVENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

const EVENT_FIELDS: ReadonlySet<string> = new Set(['type', 'data', 'id', 'orderingKey']);
const NO_WHITE_SPACE = /^\S+$/;

export class PublishEventRequest {
  /**
   * The common case without class-transformer, which would copy every `data` object key by key:
   * a body these rules accept is one the decorators below accept, as it is. Anything else (null
   * optional fields included) answers undefined and takes the decorators' path for its messages.
   */
  static accept(value: unknown): PublishEventRequest | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const body = value as Record<string, unknown>;
    for (const key of Object.keys(body)) if (!EVENT_FIELDS.has(key)) return undefined;
    const { type, data, id, orderingKey } = body;
    if (typeof type !== 'string' || type.length > 128 || !EVENT_TYPE.test(type)) return undefined;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
    if (id !== undefined && (typeof id !== 'string' || !EVENT_ID.test(id))) return undefined;
    if (orderingKey !== undefined && (typeof orderingKey !== 'string' || orderingKey.length > 256 || !NO_WHITE_SPACE.test(orderingKey))) return undefined;
    return Object.assign(new PublishEventRequest(), body);
  }

  @ApiProperty({ example: 'call.completed', maxLength: 128 })
  @IsString()
  @MaxLength(128)
  @Matches(EVENT_TYPE, { message: 'type must be names of A-Z a-z 0-9 _ : - joined by dots, without wildcards' })
  type!: string;

  @ApiProperty({ example: { callId: 'c_123', durationS: 42 }, type: 'object', additionalProperties: true })
  @IsObject()
  data!: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'order-123-paid', description: 'Idempotency: publishing the same id again answers the first result (same as the Idempotency-Key header)' })
  @IsOptional()
  @IsString()
  @Matches(EVENT_ID, { message: 'id must be 1 to 128 characters of A-Z a-z 0-9 _ . : -' })
  id?: string;

  @ApiPropertyOptional({ example: 'customer-42', description: 'Subscriptions with ordering "key" get events of one key one at a time, in publish order' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  @Matches(NO_WHITE_SPACE, { message: 'orderingKey must not contain white space' })
  orderingKey?: string;
}

export class PublishBatchRequest {
  /** As `PublishEventRequest.accept`: the events themselves are checked one by one by the route. */
  static accept(value: unknown): PublishBatchRequest | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const keys = Object.keys(value);
    const events = (value as { events?: unknown }).events;
    if (keys.length !== 1 || !Array.isArray(events) || events.length < 1 || events.length > 100) return undefined;
    return Object.assign(new PublishBatchRequest(), { events });
  }

  @ApiProperty({ type: [PublishEventRequest], minItems: 1, maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  events!: unknown[];
}

export class PublishedDelivery {
  @ApiProperty() id!: string;
  @ApiProperty() subscriptionId!: string;
}

export class PublishedEventResponse {
  @ApiProperty() id!: string;
  @ApiProperty() type!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ type: [PublishedDelivery] }) deliveries!: PublishedDelivery[];
}
