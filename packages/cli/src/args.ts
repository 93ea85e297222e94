import { parseArgs } from 'node:util';

/** Options every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS = {
  server: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; description?: string }>;

export interface ParsedArgs {
  command: string[];
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses argv against the global options plus every command's options; commands check their own. */
export function parse(argv: string[], commandOptions: OptionSpec): ParsedArgs {
  const options = { ...GLOBAL_OPTIONS, ...commandOptions };
  try {
    const { values, positionals } = parseArgs({
      args: separatePositionals(argv, options),
      options,
      allowPositionals: true,
      strict: true,
    });
    return { command: [], positionals, values: values as Record<string, string | boolean | undefined> };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
}

/**
 * Ids are base64url and may start with '-' (`charla devices revoke -xHtG0…`). Only `--name` and
 * `-h` are options here; every other word is a positional, passed after `--` so parseArgs keeps it.
 */
function separatePositionals(argv: readonly string[], options: OptionSpec): string[] {
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg.startsWith('--')) {
      flags.push(arg);
      const spec = options[arg.slice(2).split('=')[0]!];
      if (spec?.type === 'string' && !arg.includes('=') && i + 1 < argv.length) flags.push(argv[++i]!);
    } else positionals.push(arg.startsWith('#') ? arg.slice(1) : arg);
  }
  return [...flags, '--', ...positionals];
}

/** '1h' → 3600; '30m', '45s', '2d', '1w'; 'off' and '0' → 0. */
export function parseDuration(text: string): number {
  if (text === 'off' || text === '0') return 0;
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new UsageError(`"${text}" is not a duration: use e.g. 30s, 10m, 1h, 2d, 1w or off`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

export function formatDuration(seconds: number): string {
  if (seconds === 0) return 'off';
  for (const [unit, size] of [['w', 604_800], ['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
