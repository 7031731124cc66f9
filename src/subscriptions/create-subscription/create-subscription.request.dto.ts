import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { Satisfies } from '../../shared/http/validators.js';
import { secretProblem } from '../domain/subscription-rules.js';
import { SubscriptionFieldsDto } from '../subscription.dto.js';

export class CreateSubscriptionRequest extends SubscriptionFieldsDto {
  @ApiPropertyOptional({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'whsec_ + base64 of 24 to 64 bytes; generated when absent' })
  @IsOptional()
  @Satisfies('isWebhookSecret', secretProblem)
  secret?: string;
}
