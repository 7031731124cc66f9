import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const EVENT_TYPE = /^[A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)*$/;
export const EVENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export class PublishEventRequest {
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
  @Matches(/^\S+$/, { message: 'orderingKey must not contain white space' })
  orderingKey?: string;
}

export class PublishBatchRequest {
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
