import type { Readable, Writable } from 'node:stream';
import { ApiError, NetworkError, SdkError } from '@charla/sdk';
import { GLOBAL_OPTIONS, parse, UsageError, type OptionSpec } from './args.ts';
import { accountCommands } from './commands-account.ts';
import { chatCommands } from './commands-chat.ts';
import { roomCommands } from './commands-room.ts';
import { makeContext, type Command } from './context.ts';
import type { Io } from './output.ts';

export const COMMANDS: Command[] = [...accountCommands, ...chatCommands, ...roomCommands];

const FRIENDLY: Partial<Record<string, string>> = {
  INVALID_CREDENTIALS: 'wrong username or password',
  USERNAME_TAKEN: 'that username is taken; pick another',
  UNKNOWN_USER: 'there is no such user on this server',
  REGISTRATION_CLOSED: 'this server only accepts invited sign-ups: ask an admin for a token (--invite-token)',
  INVALID_INVITE_TOKEN: 'that invite token is unknown or already used',
  TOKEN_EXPIRED: 'your session expired: run charla login again',
  DEVICE_REVOKED: 'this device was revoked from another one; run charla login to add it again',
  RATE_LIMITED: 'too many attempts; wait a minute and try again',
  BLOB_TOO_LARGE: 'that file is larger than this server accepts',
};

export interface MainIo {
  env: NodeJS.ProcessEnv;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
}

/** Runs the charla command line; returns the exit code (0 ok, 1 failed, 2 usage). Never exits the process. */
export async function main(argv: string[], sys: MainIo): Promise<number> {
  const allOptions: OptionSpec = Object.assign({}, ...COMMANDS.map((c) => c.options ?? {}));
  let io: Io = { stdout: sys.stdout, stderr: sys.stderr, json: false };
  let command: Command | undefined;
  try {
    const parsed = parse(argv, allOptions);
    io = { ...io, json: parsed.values['json'] === true };
    const [first, second] = parsed.positionals;
    command = COMMANDS.find((c) => c.name === `${first} ${second}`) ?? COMMANDS.find((c) => c.name === first);
    if (!first || (first === 'help' && !second)) {
      sys.stdout.write(overview());
      return first || parsed.values['help'] ? 0 : 2;
    }
    if (first === 'help') command = COMMANDS.find((c) => c.name === second || c.name.startsWith(`${second} `));
    if (!command) {
      const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
      if (group.length) {
        sys.stdout.write(group.map(help).join('\n'));
        return parsed.values['help'] ? 0 : 2;
      }
      throw new UsageError(`unknown command "${first}"; see charla --help`);
    }
    if (parsed.values['help'] || first === 'help') {
      sys.stdout.write(help(command));
      return 0;
    }
    const own = new Set([...Object.keys(GLOBAL_OPTIONS), ...Object.keys(command.options ?? {})]);
    const foreign = Object.keys(parsed.values).filter((k) => parsed.values[k] !== undefined && !own.has(k));
    if (foreign.length) throw new UsageError(`${command.name} does not take --${foreign[0]}`);
    const args = parsed.positionals.slice(command.name.split(' ').length);
    const ctx = makeContext(io, sys.stdin, sys.env, parsed.values);
    return (await command.run(ctx, args)) ?? 0;
  } catch (error) {
    return report(io, error, command, sys.env['CHARLA_SERVER'] ?? 'the server');
  }
}

function report(io: Io, error: unknown, command: Command | undefined, server: string): number {
  const out = (message: string, code: string): void => {
    if (io.json) io.stdout.write(JSON.stringify({ type: 'error', code, message }) + '\n');
    else io.stderr.write(`charla: ${message}\n`);
  };
  if (error instanceof UsageError) {
    out(error.message, 'USAGE');
    if (command && !io.json) io.stderr.write(`usage: ${command.usage}\n`);
    return 2;
  }
  if (error instanceof ApiError) {
    out(FRIENDLY[error.code] ?? `${error.message} (${error.code})`, error.code);
    return 1;
  }
  if (error instanceof NetworkError) {
    out(`cannot reach ${server}: is Charla running there? (set --server or CHARLA_SERVER)`, 'NETWORK');
    return 1;
  }
  if (error instanceof SdkError) {
    out(error.message, error.code);
    return 1;
  }
  out(`unexpected error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, 'INTERNAL');
  return 1;
}

function help(c: Command): string {
  const options = Object.entries(c.options ?? {}).map(([k, v]) => `  --${k}${v.type === 'string' ? ' VALUE' : ''}  ${v.description ?? ''}\n`);
  return `${c.usage}\n  ${c.summary}\n${options.join('')}${globalHelp}`;
}

const globalHelp = `Options for every command:
  --server URL     the Charla server (default $CHARLA_SERVER or http://localhost:8080)
  --profile DIR    this device's local profile (default $CHARLA_PROFILE or ~/.charla)
  --json           one JSON object per line, for scripts and bots
  --help           help for a command
`;

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `charla: end-to-end encrypted chat from the command line.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'sfu'.padEnd(width)}  run a media SFU for video rooms as its own process (charla sfu --help)

${globalHelp}\nStart with: charla register --username NAME, then charla send FRIEND "hola".
`;
}
