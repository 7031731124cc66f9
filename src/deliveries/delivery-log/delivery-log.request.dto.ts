import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../../shared/http/page.query.js';

export class ListDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(/^sub_[0-9A-Z]{26}$/, { message: 'subscriptionId must be a subscription id (sub_…)' }) subscriptionId?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'eventId is not an event id' }) eventId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(128) eventType?: string;
  @ApiPropertyOptional({ enum: ['pending', 'succeeded', 'failed', 'cancelled'] })
  @IsOptional()
  @IsIn(['pending', 'succeeded', 'failed', 'cancelled'])
  status?: 'pending' | 'succeeded' | 'failed' | 'cancelled';
  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ description: 'Created before (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

export class ReplayDeliveryRequest {
  @ApiPropertyOptional({ maxLength: 500 }) @IsOptional() @IsString() @MaxLength(500) reason?: string;
}
