import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { Satisfies } from '../../shared/http/validators.js';
import { secretProblem } from '../domain/subscription-rules.js';

export class RotateSecretRequest {
  @ApiPropertyOptional({ description: 'The new secret (whsec_ + base64 of 24 to 64 bytes); generated when absent' })
  @IsOptional()
  @Satisfies('isWebhookSecret', secretProblem)
  secret?: string;
}
