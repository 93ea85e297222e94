// Builds the web app when dist/ is missing or older than its sources (the app's and the SDK's),
// so that `npm start` always serves the current app without a separate build step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const web = fileURLToPath(new URL('..', import.meta.url));
const packages = join(web, '..');

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === '.tsbuild') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const built = join(web, 'dist', 'index.html');
const sources = Math.max(
  ...['src', 'public', 'sw', 'scripts', 'index.html', 'vite.config.ts', 'package.json'].map((p) => newest(join(web, p))),
  ...['sdk', 'crypto', 'protocol'].map((p) => newest(join(packages, p, 'src'))),
);
if (!existsSync(built) || statSync(built).mtimeMs < sources) {
  console.log('Building the web app…');
  await build({ root: web, logLevel: 'warn' });
}
