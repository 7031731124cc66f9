import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../shared/http/page.query.js';
import { Satisfies } from '../shared/http/validators.js';
import {
  eventTypePatternProblem,
  filterProblem,
  headerMapProblem,
  headerNameProblem,
  scheduleEntryProblem,
} from './domain/subscription-rules.js';
import type { EventFilter, SubscriptionConfig } from './domain/subscription.events.js';

export class RetryPolicyDto {
  @ApiProperty({ example: ['0s', '5s', '5m', '30m', '2h'], description: 'Delay before each attempt, 1 to 20 entries, each at most 24h' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Satisfies('isScheduleEntry', scheduleEntryProblem, { each: true })
  schedule!: string[];

  @ApiPropertyOptional({ default: false, description: 'Retry every non-2xx answer, 4xx included' })
  @IsOptional()
  @IsBoolean()
  retryAllFailures?: boolean;
}

export class SignatureDto {
  @ApiProperty({ enum: ['standard', 'hmac-sha256-hex'], default: 'standard' })
  @IsIn(['standard', 'hmac-sha256-hex'])
  scheme!: 'standard' | 'hmac-sha256-hex';

  @ApiPropertyOptional({ example: 'X-Signature', description: 'Required with hmac-sha256-hex: the header carrying the hex signature' })
  @ValidateIf((o: SignatureDto) => o.scheme === 'hmac-sha256-hex' || o.header !== undefined)
  @IsString()
  @Satisfies('isHeaderName', (v) => (typeof v === 'string' ? headerNameProblem(v) : 'must be a header name'))
  header?: string;
}

/** The fields a subscription is configured with; create requires url and eventTypes, PATCH none. */
export class SubscriptionFieldsDto {
  @ApiProperty({ example: 'https://example.com/webhooks', maxLength: 2048 })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ example: ['call.completed', 'call.*'], description: 'Exact names, trailing wildcards (call.*) or *' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Satisfies('isEventTypePattern', eventTypePatternProblem, { each: true })
  eventTypes!: string[];

  @ApiPropertyOptional({ maxLength: 500, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ example: { 'X-Team': 'core' }, description: 'At most 20; values ≤ 1 KiB', type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @Satisfies('isHeaderMap', headerMapProblem)
  headers?: Record<string, string>;

  @ApiPropertyOptional({ example: { list_id: ['A', 'B'] }, description: "Data paths the event's data must hold (a list: one of)", nullable: true, type: 'object', additionalProperties: true })
  @IsOptional()
  @Satisfies('isEventFilter', filterProblem)
  filter?: EventFilter | null;

  @ApiPropertyOptional({ type: RetryPolicyDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RetryPolicyDto)
  retryPolicy?: RetryPolicyDto;

  @ApiPropertyOptional({ minimum: 1000, maximum: 30000, default: 15000 })
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(30000)
  timeoutMs?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  maxConcurrency?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, nullable: true, type: Number })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional({ enum: ['none', 'key'], default: 'none' })
  @IsOptional()
  @IsIn(['none', 'key'])
  ordering?: 'none' | 'key';

  @ApiPropertyOptional({ type: SignatureDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SignatureDto)
  signature?: SignatureDto;

  @ApiPropertyOptional({ enum: ['envelope', 'raw'], default: 'envelope' })
  @IsOptional()
  @IsIn(['envelope', 'raw'])
  payload?: 'envelope' | 'raw';
}

export const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export class SubscriptionResponse {
  @ApiProperty({ example: 'sub_01JB8X2W8Q4V3ZK7N5R6T9Y1AB' }) id!: string;
  @ApiProperty({ enum: ['active', 'paused', 'disabled'] }) status!: string;
  @ApiPropertyOptional({ enum: ['operator', 'failing', 'gone'], nullable: true, type: String }) disabledReason!: string | null;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) eventTypes!: string[];
  @ApiPropertyOptional({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ description: 'Values of credential-like headers are shown as [redacted]', type: 'object', additionalProperties: { type: 'string' } }) headers!: Record<string, string>;
  @ApiPropertyOptional({ nullable: true, type: 'object', additionalProperties: true }) filter!: EventFilter | null;
  @ApiProperty({ type: RetryPolicyDto }) retryPolicy!: SubscriptionConfig['retryPolicy'];
  @ApiProperty() timeoutMs!: number;
  @ApiProperty() maxConcurrency!: number;
  @ApiPropertyOptional({ nullable: true, type: Number }) rateLimitPerSecond!: number | null;
  @ApiProperty({ enum: ['none', 'key'] }) ordering!: string;
  @ApiProperty({ type: SignatureDto }) signature!: SubscriptionConfig['signature'];
  @ApiProperty({ enum: ['envelope', 'raw'] }) payload!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class SubscriptionWithSecretResponse extends SubscriptionResponse {
  @ApiProperty({ description: 'The signing secret (whsec_…); shown by create, rotate-secret and GET …/secret only' })
  secret!: string;
}

export class SubscriptionPage {
  @ApiProperty({ type: [SubscriptionResponse] }) data!: SubscriptionResponse[];
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Pass as cursor for the next page; null at the end' })
  nextCursor!: string | null;
}

export class ListSubscriptionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['active', 'paused', 'disabled'] })
  @IsOptional()
  @IsIn(['active', 'paused', 'disabled'])
  status?: 'active' | 'paused' | 'disabled';

}
