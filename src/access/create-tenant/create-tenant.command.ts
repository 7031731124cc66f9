import { Command } from '@nestjs/cqrs';
import type { CommandContext } from '../../ledger/ledger-context.js';

export interface CreatedTenant {
  id: string;
  name: string;
  createdAt: string;
}

export class CreateTenantCommand extends Command<CreatedTenant> {
  constructor(
    readonly name: string,
    readonly context: CommandContext,
  ) {
    super();
  }
}
