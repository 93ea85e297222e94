import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build -w @charla/web` puts the web app. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves the web app's static files. Paths that are not files (an invite link `/i/ana`, a chat)
 * get index.html, so the app can route them itself. Hashed assets are cached for a year, the
 * rest revalidated. Answers false when there is no built app (the server then says so in text).
 */
export async function serveWebApp(req: IncomingMessage, res: ServerResponse, path: string, webDir = DEFAULT_WEB_DIR): Promise<boolean> {
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
  } catch {
    return false;
  }
  if (relative.split(sep).includes('..')) return false;
  const candidates = relative && !relative.endsWith('/') ? [join(webDir, relative), join(webDir, 'index.html')] : [join(webDir, 'index.html')];
  for (const file of candidates) {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    const immutable = file.includes(`${sep}assets${sep}`);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      // The app talks only to this server; nothing else may be loaded or framed.
      'content-security-policy': "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  }
  return false;
}
