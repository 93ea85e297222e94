import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';

/** s3rver's default credentials: it checks that the access key id exists (it does not verify SigV4 signatures). */
export const S3RVER_KEY = 'S3RVER';

export interface TestS3 extends AsyncDisposable {
  /** http://127.0.0.1:<port>, for path-style addressing. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Keys of the objects in the bucket, read from s3rver's directory. */
  objects(): Promise<string[]>;
  /** The stored bytes of one object, read from s3rver's directory. */
  read(key: string): Promise<Buffer>;
}

// In its own process, so that the memory a test measures is ours, not the S3 server's.
const RUN_S3RVER = `
const S3rver = require('s3rver');
const [directory, bucket] = process.argv.slice(1);
new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] })
  .run().then((a) => console.log(a.port), (e) => { console.error(e); process.exit(1); });
`;

const suffix = '._S3rver_object';

/** A real S3-compatible server (s3rver, an npm dev dependency) on a free loopback port, with one empty bucket, in a temp dir. */
export async function startTestS3(bucket = 'charla-test'): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), 'charla-s3rver-'));
  const child = spawn(process.execPath, ['-e', RUN_S3RVER, dir, bucket], { stdio: ['ignore', 'pipe', 'inherit'], cwd: import.meta.dirname });
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout }), 'line'), once(child, 'exit').then(() => { throw new Error('s3rver did not start'); })])) as [string];
  const port = Number(line);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    async objects() {
      const root = join(dir, bucket);
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && e.name.endsWith(suffix))
        .map((e) => relative(root, join(e.parentPath, e.name.slice(0, -suffix.length))))
        .sort();
    },
    read: (key) => readFile(join(dir, bucket, key + suffix)),
    async [Symbol.asyncDispose]() {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
