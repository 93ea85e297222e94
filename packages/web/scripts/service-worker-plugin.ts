import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const web = fileURLToPath(new URL('..', import.meta.url));

/**
 * Emits dist/sw.js: sw/service-worker.js with the list of files to precache (every file of the
 * build plus public/), and a version derived from that list so a new build replaces the old cache.
 */
export function serviceWorker(): Plugin {
  return {
    name: 'charla-service-worker',
    apply: 'build',
    enforce: 'post',
    async generateBundle(_options, bundle) {
      const built = Object.keys(bundle).filter((f) => f !== 'index.html' && !f.endsWith('.map'));
      const publicFiles = await readdir(`${web}/public`);
      const files = ['/', ...[...built, ...publicFiles].sort().map((f) => `/${f}`)];
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      const template = await readFile(`${web}/sw/service-worker.js`, 'utf8');
      const source = template.replace('self.__CHARLA_PRECACHE__', JSON.stringify({ version, files }));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}
