import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './targets.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  selfMs: number;
  /** Share of the non-idle time. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  functions: HotSpot[];
  files: HotSpot[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const rel = relative(REPO, path);
  return rel.startsWith('..') ? path : rel.replace(/^node_modules\//, '');
}

/** Self time per function and per file of a V8 .cpuprofile (node --cpu-prof). */
export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]!);
    // timeDeltas[i] is the time since the previous sample: the time spent where sample i was taken.
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += ms;
      continue;
    }
    busy += ms;
    const u = shortUrl(url);
    const key = u ? `${functionName || '(anonymous)'} ${u}:${lineNumber + 1}` : functionName || '(anonymous)';
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const f = u ? u.replace(/:\d+$/, '') : functionName.startsWith('(') ? functionName : '(native)';
    files.set(f, (files.get(f) ?? 0) + ms);
  }
  const rank = (m: Map<string, number>): HotSpot[] =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, selfMs]) => ({ name, selfMs, pct: (selfMs / busy) * 100 }));
  return { file, busyMs: busy, idleMs: idle, functions: rank(fn), files: rank(files) };
}

export function profileMarkdown(title: string, s: ProfileSummary): string {
  const row = (h: HotSpot): string => `| ${h.pct.toFixed(1)} % | ${h.selfMs.toFixed(0)} | \`${h.name.replaceAll('|', '\\|')}\` |`;
  return [
    `#### ${title}`,
    '',
    `Busy ${(s.busyMs / 1000).toFixed(1)} s, idle ${(s.idleMs / 1000).toFixed(1)} s (idle = waiting, e.g. on fsync inside SQLite shows as busy in the native frame that called it).`,
    '',
    '| self | ms | function |',
    '| ---: | ---: | --- |',
    ...s.functions.slice(0, 20).map(row),
    '',
    '| self | ms | file |',
    '| ---: | ---: | --- |',
    ...s.files.slice(0, 12).map(row),
    '',
  ].join('\n');
}

/**
 * The main thread's newest .cpuprofile in a directory (node --cpu-prof-dir). Node names them
 * CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; worker threads (the checkpoint thread)
 * write their own, with a thread id above 0.
 */
export function newestProfile(dir: string): string | null {
  const all = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const main = all.filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const files = main.length ? main : all;
  return files.length ? join(dir, files[files.length - 1]!) : null;
}

// `node bench/profile.ts <file.cpuprofile>` prints the summary of an existing profile.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/profile.ts <file.cpuprofile>');
    process.exitCode = 2;
  } else {
    console.log(profileMarkdown(file, summarizeProfile(file)));
  }
}
