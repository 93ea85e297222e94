import type { Writable } from 'node:stream';
import type { MessageRecord } from '@charla/sdk';

export interface Io {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  json: boolean;
}

/** Prints a line for people, or one JSON object per line with --json. */
export function emit(io: Io, human: string, data: object): void {
  io.stdout.write(io.json ? JSON.stringify(data) + '\n' : human + '\n');
}

export function note(io: Io, text: string): void {
  if (!io.json) io.stderr.write(text + '\n');
}

export function shortId(id: string): string {
  return id.slice(0, 10);
}

export function username(userId: string): string {
  return userId.slice(1).split(':')[0] ?? userId;
}

function time(ts: number): string {
  const d = new Date(ts);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatMessage(m: MessageRecord, byId: ReadonlyMap<string, MessageRecord> = new Map()): string {
  const who = m.outgoing ? 'you' : username(m.sender);
  if (m.deleted) return `[${time(m.ts)}] ${who}: (message deleted)  #${shortId(m.id)}`;
  const parts: string[] = [];
  if (m.inReplyTo) {
    const quoted = byId.get(m.inReplyTo);
    parts.push(`↪ ${quoted ? `${quoted.outgoing ? 'you' : username(quoted.sender)}: "${quoted.deleted ? '(deleted)' : quoted.text.slice(0, 40)}"` : 'a message'} `);
  }
  parts.push(m.text);
  if (m.attachment) parts.push(`${m.text ? ' ' : ''}📎 ${m.attachment.name} (${formatBytes(m.attachment.size)})`);
  if (m.edited) parts.push(' (edited)');
  const reactions = Object.entries(m.reactions).map(([emoji, users]) => `${emoji}${users.length > 1 ? users.length : ''}`);
  if (reactions.length) parts.push(`  [${reactions.join(' ')}]`);
  const ticks = m.outgoing ? { pending: ' 🕓', sent: ' ✓', delivered: ' ✓✓', read: ' ✓✓ read' }[m.status] : '';
  const timer = m.expiresAt ? ' ⏱' : '';
  return `[${time(m.ts)}] ${who}: ${parts.join('')}${ticks}${timer}  #${shortId(m.id)}`;
}

export function messageJson(m: MessageRecord): object {
  return { type: 'message', ...m };
}

/** A progress bar on stderr for long transfers: redrawn in place on a terminal, milestones otherwise. */
export function progressBar(io: Io, label: string): (done: number, total: number) => void {
  let lastShown = -1;
  return (done, total) => {
    if (io.json) return;
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    if (io.stderr.isTTY) {
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      io.stderr.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(pct).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)}`);
      if (done >= total) io.stderr.write('\n');
    } else if (pct >= lastShown + 25 || (done >= total && lastShown < 100)) {
      lastShown = pct;
      io.stderr.write(`${label} ${pct}% ${formatBytes(done)}/${formatBytes(total)}\n`);
    }
  };
}
