// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Dependency direction (docs/ARCHITECTURE.md): which workspace packages each package may import outside its tests. */
const allowed = {
  protocol: [],
  crypto: ['protocol'],
  sdk: ['protocol', 'crypto'],
  server: ['protocol', 'crypto', 'sfu'],
  cli: ['protocol', 'sdk'],
  conformance: ['protocol'],
  web: ['protocol', 'sdk'],
  sfu: ['protocol'],
};
const all = Object.keys(allowed);
/** Packages that run in browsers: Node-only code goes behind a /node subpath. */
const browserSafe = ['protocol', 'crypto', 'sdk', 'web'];
const nodeBuiltins = ['fs', 'path', 'crypto', 'os', 'http', 'https', 'net', 'child_process', 'buffer'];
const message = 'browser-safe package: Node-only code goes behind a /node subpath (e.g. @charla/sdk/node)';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.tsbuild/**', '**/dist/**', 'data/**', 'bench/results/**'] },
  js.configs.recommended,
  { files: ['**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...all.map((pkg) => ({
    files: [`packages/${pkg}/src/**/*.ts`, `packages/${pkg}/src/**/*.tsx`],
    ignores: ['**/*.test.ts', ...(pkg === 'sdk' ? ['packages/sdk/src/node/**'] : [])],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: browserSafe.includes(pkg) ? nodeBuiltins.map((name) => ({ name, message })) : [],
          patterns: [
            {
              group: all.filter((p) => p !== pkg && !allowed[pkg].includes(p)).map((p) => `@charla/${p}*`),
              message: `packages/${pkg} may import only ${allowed[pkg].join(', ') || 'no other Charla package'} (docs/ARCHITECTURE.md)`,
            },
            ...(browserSafe.includes(pkg) ? [{ group: ['node:*'], message }] : []),
          ],
        },
      ],
    },
  })),
);
