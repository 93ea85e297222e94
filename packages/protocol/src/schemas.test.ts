import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemaFiles } from '../scripts/json-schemas.ts';
import { DOCS_DIR, SCHEMAS_DIR } from '../scripts/paths.ts';
import { ErrorCodes, ERROR_CODES } from './errors.ts';

test('docs/protocol/schemas matches the zod schemas (run `npm run schemas` after changing them)', () => {
  const expected = generateSchemaFiles();
  const committed = readdirSync(SCHEMAS_DIR).filter((n) => n.endsWith('.json')).sort();
  assert.deepEqual(committed, [...expected.keys()].sort(), 'the set of schema files differs');
  for (const [name, text] of expected) {
    assert.equal(readFileSync(join(SCHEMAS_DIR, name), 'utf8'), text, `${name} is stale`);
  }
});

test('[ERR-2] every error code is documented in the errors table with its HTTP status', () => {
  const spec = readdirSync(DOCS_DIR)
    .filter((n) => n.endsWith('.md'))
    .map((n) => readFileSync(join(DOCS_DIR, n), 'utf8'))
    .join('\n');
  for (const code of ERROR_CODES) {
    const row = new RegExp(`^\\|\\s*\`${code}\`\\s*\\|\\s*${ErrorCodes[code].status}\\s*\\|`, 'm');
    assert.match(spec, row, `${code} (${ErrorCodes[code].status}) has no row in the errors table of docs/protocol`);
  }
});
