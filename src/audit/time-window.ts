import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';
import { ValidationProblem } from '../shared/http/problem.filter.js';

/** `from`/`to` on the ledger's `occurredAt`, for the trail and the export alike. */
export class TimeWindowQuery {
  @ApiPropertyOptional({ description: 'At or after (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ description: 'Before (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

export interface TimeWindow {
  /** Inclusive, normalised to `toISOString()` so it compares as text with `occurredAt`. */
  from?: string;
  /** Exclusive, normalised likewise. */
  to?: string;
}

export function timeWindow(query: TimeWindowQuery): TimeWindow {
  const from = normalised('from', query.from);
  const to = normalised('to', query.to);
  if (from !== undefined && to !== undefined && to < from) {
    throw new ValidationProblem([{ field: 'to', messages: ['to must not be before from'] }]);
  }
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

function normalised(field: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime()) || time.getUTCFullYear() > 9999 || time.getUTCFullYear() < 0) {
    throw new ValidationProblem([{ field, messages: [`${field} must be a date between the years 0000 and 9999`] }]);
  }
  return time.toISOString();
}

export function inWindow(occurredAt: unknown, window: TimeWindow): boolean {
  if (typeof occurredAt !== 'string') return window.from === undefined && window.to === undefined;
  return (window.from === undefined || occurredAt >= window.from) && (window.to === undefined || occurredAt < window.to);
}
