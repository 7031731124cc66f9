import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

export class CreateTenantRequest {
  @ApiProperty({ example: 'Acme Corp', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

export class TenantResponse {
  @ApiProperty({ example: 'ten_01JB8X2W8Q4V3ZK7N5R6T9Y1AB' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() createdAt!: string;
}
