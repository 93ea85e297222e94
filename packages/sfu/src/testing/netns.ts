import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

/**
 * House rule: no media test may offer the machine's other addresses as ICE candidates. A media test
 * file calls this at top level: outside a namespace it re-executes itself inside `unshare -n` (with
 * only loopback up) and reports the inner run as one test; inside (CHARLA_NETNS=1) it runs `body`,
 * which declares the real tests. Without root the file is skipped with a reason, unless CI is set.
 */
export function inLoopbackNamespace(name: string, thisFile: string, body: () => void, options: { timeoutMs?: number } = {}): void {
  if (process.env.CHARLA_NETNS === '1') {
    body();
    return;
  }
  describe(`${name} (loopback-only network namespace)`, () => {
    const probe = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
    const reason = probe.error ? probe.error.message : probe.status !== 0 ? 'unshare -n failed (not root?)' : undefined;
    if (reason && !process.env.CI) {
      it('is skipped', { skip: `cannot create a network namespace: ${reason}` }, () => {});
      return;
    }
    it('passes inside `unshare -n`', { timeout: options.timeoutMs ?? 180_000 }, async (t) => {
      assert.equal(reason, undefined, `cannot create a network namespace: ${reason}`);
      const env: NodeJS.ProcessEnv = { ...process.env, CHARLA_NETNS: '1' };
      // Otherwise the inner `node --test` would talk the runner's child protocol to nobody.
      delete env.NODE_TEST_CONTEXT;
      const child = spawn(
        'unshare',
        ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" --test --test-reporter=spec "$1"', process.execPath, thisFile],
        // Its own process group, so that a timeout can take down the inner run and its browsers.
        { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      const killGroup = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      };
      // On a timeout (or a cancelled run) the runner aborts t.signal; nothing may outlive it.
      let finished = false;
      t.signal.addEventListener('abort', () => {
        if (finished) return;
        killGroup();
        console.log(`${output}\n(${name}: timed out; the inner run was killed)`);
      }, { once: true });
      process.once('exit', killGroup);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      finished = true;
      process.off('exit', killGroup);
      killGroup(); // stray grandchildren (a browser the inner run failed to close)
      console.log(output);
      assert.equal(code, 0, `${name} failed inside the namespace (output above)`);
    });
  });
}
