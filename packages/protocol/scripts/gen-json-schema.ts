/** `npm run schemas`: writes docs/protocol/schemas/*.json from the zod schemas and removes stale files. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemaFiles } from './json-schemas.ts';
import { SCHEMAS_DIR } from './paths.ts';

const files = generateSchemaFiles();
mkdirSync(SCHEMAS_DIR, { recursive: true });
for (const name of readdirSync(SCHEMAS_DIR)) {
  if (name.endsWith('.json') && !files.has(name)) rmSync(join(SCHEMAS_DIR, name));
}
for (const [name, text] of files) writeFileSync(join(SCHEMAS_DIR, name), text);
console.log(`wrote ${files.size} schemas to ${SCHEMAS_DIR}`);
