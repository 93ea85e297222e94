import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews results. */
  loadAverage: number[];
}

export function machine(): Machine {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /Model name:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }));
    if (m) model = m[1]!.trim();
  } catch {
    // lscpu missing: os.cpus() is enough
  }
  return {
    nproc: cpus().length,
    cpuModel: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
