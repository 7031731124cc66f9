import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ROLES, type Role } from '../domain/roles.js';

export class IssueApiKeyRequest {
  @ApiProperty({ example: 'billing-service', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ description: 'Required with the root key: the tenant the key belongs to' })
  @IsOptional()
  @IsString()
  @Matches(/^ten_[0-9A-Z]{26}$/, { message: 'tenantId must be a tenant id (ten_…)' })
  tenantId?: string;
}

export class IssuedApiKeyResponse {
  @ApiProperty({ example: 'key_01JB8X2W8Q4V3ZK7N5R6T9Y1AB' }) id!: string;
  @ApiProperty({ description: 'Shown once; only its hash is stored' }) key!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() tenantId!: string;
  @ApiProperty() createdAt!: string;
}

export class ApiKeyResponse {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() tenantId!: string;
  @ApiProperty({ enum: ['active', 'revoked'] }) status!: 'active' | 'revoked';
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) revokedAt!: string | null;
}
