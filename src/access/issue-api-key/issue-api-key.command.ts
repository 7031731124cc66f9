import { Command } from '@nestjs/cqrs';
import type { CommandContext } from '../../ledger/ledger-context.js';
import type { Role } from '../domain/roles.js';

export interface IssuedApiKey {
  id: string;
  key: string;
  name: string;
  role: Role;
  tenantId: string;
  createdAt: string;
}

export class IssueApiKeyCommand extends Command<IssuedApiKey> {
  constructor(
    readonly name: string,
    readonly role: Role,
    readonly context: CommandContext & { tenantId: string },
  ) {
    super();
  }
}
