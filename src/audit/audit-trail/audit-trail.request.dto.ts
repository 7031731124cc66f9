import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { PageQuery } from '../../shared/http/page.query.js';
import { TimeWindowQuery } from '../time-window.js';

export class AuditTrailQuery extends IntersectionType(PageQuery, TimeWindowQuery) {
  @ApiPropertyOptional({ description: 'An API key id (key_…), or root' })
  @IsOptional()
  @Matches(/^(?:root|key_[0-9A-HJKMNP-TV-Z]{26})$/, { message: 'actor must be an API key id (key_…) or root' })
  actor?: string;
}
