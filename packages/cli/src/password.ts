import type { Readable, Writable } from 'node:stream';
import { UsageError } from './args.ts';

/** Reads the password: the first line of stdin with --password-stdin, else a hidden prompt. */
export async function readPassword(stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => void }, stderr: Writable, fromStdin: boolean, confirm: boolean): Promise<string> {
  if (fromStdin || !stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) {
      text += String(chunk);
      if (text.includes('\n')) break;
    }
    const password = text.split(/\r?\n/)[0] ?? '';
    if (!password) throw new UsageError('no password on standard input');
    return password;
  }
  const first = await prompt(stdin, stderr, 'Password: ');
  if (first.length < 8) throw new UsageError('the password must have at least 8 characters');
  if (confirm && (await prompt(stdin, stderr, 'Repeat password: ')) !== first) throw new UsageError('the passwords do not match');
  return first;
}

function prompt(stdin: Readable & { setRawMode?: (raw: boolean) => void }, stderr: Writable, question: string): Promise<string> {
  stderr.write(question);
  stdin.setRawMode?.(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new UsageError('cancelled'));
          return;
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
