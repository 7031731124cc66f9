import { readFileSync } from 'node:fs';

/** The package version, sent as `User-Agent: hookledger/<version>` and shown in the docs. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
