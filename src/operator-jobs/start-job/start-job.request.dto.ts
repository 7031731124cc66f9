import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';

export class BackfillRequest {
  @ApiProperty({ description: 'ISO 8601: events created at or after this' }) @IsISO8601({ strict: true }) since!: string;
  @ApiPropertyOptional({ description: 'ISO 8601: events created before this (default: now)' }) @IsOptional() @IsISO8601({ strict: true }) until?: string;
  @ApiPropertyOptional({ maxLength: 500 }) @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

export class BulkReplayRequest extends BackfillRequest {
  @ApiPropertyOptional({ enum: ['failed', 'cancelled'], isArray: true, default: ['failed'], description: 'Final status(es) of the deliveries to replay' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @IsIn(['failed', 'cancelled'], { each: true })
  status?: Array<'failed' | 'cancelled'>;
}
