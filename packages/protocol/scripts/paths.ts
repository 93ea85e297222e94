import { fileURLToPath } from 'node:url';

export const DOCS_DIR = fileURLToPath(new URL('../../../docs/protocol/', import.meta.url));
export const SCHEMAS_DIR = fileURLToPath(new URL('../../../docs/protocol/schemas/', import.meta.url));
