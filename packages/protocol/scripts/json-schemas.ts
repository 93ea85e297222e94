/**
 * Builds the published JSON Schemas (docs/protocol/schemas/) from the zod schemas, in memory, so
 * that the generator script writes them and a test checks the committed copies never drift.
 */
import { z } from 'zod';
import {
  AttachmentRef,
  AuthResult,
  ClientFrame,
  CommitResult,
  Content,
  CreateGroupResult,
  DEFAULT_LIMITS,
  ErrFrame,
  ErrorCodes,
  GroupInfoResult,
  Http,
  MlsIdentity,
  PROTOCOL_VERSION,
  RoomClientFrame,
  RoomServerFrame,
  SendResult,
  ServerFrame,
} from '../src/index.ts';

/** The body of every HTTP error answer: an `err` frame without `t` and `id` ([ERR-1]). */
export const HttpErrorBody = ErrFrame.omit({ t: true, id: true });

/** file name (without .json) → schema. Names are kebab-case and stable: they are part of the docs. */
function schemas(): Map<string, z.ZodType> {
  const out = new Map<string, z.ZodType>();
  for (const [name, m] of Object.entries(Http)) {
    if (m.request) out.set(`http-${kebab(name)}-request`, m.request);
    if (m.response) out.set(`http-${kebab(name)}-response`, m.response);
  }
  out.set('http-error', HttpErrorBody);
  out.set('ws-client-frame', ClientFrame);
  for (const option of ClientFrame.options) out.set(`ws-client-${kebab(option.shape.t.value)}`, option);
  out.set('ws-server-frame', ServerFrame);
  for (const option of ServerFrame.options) out.set(`ws-server-${kebab(option.shape.t.value)}`, option);
  const results: Record<string, z.ZodType> = {
    auth: AuthResult,
    createGroup: CreateGroupResult,
    commit: CommitResult,
    send: SendResult,
    groupInfo: GroupInfoResult,
  };
  for (const [t, schema] of Object.entries(results)) out.set(`ws-result-${kebab(t)}`, schema);
  // [ROOM-*] The room WebSocket (/v1/rooms/ws): JSON text frames.
  out.set('room-client-frame', RoomClientFrame);
  for (const option of RoomClientFrame.options) out.set(`room-client-${kebab(option.shape.t.value)}`, option);
  out.set('room-server-frame', RoomServerFrame);
  for (const option of RoomServerFrame.options) out.set(`room-server-${kebab(option.shape.t.value)}`, option);
  out.set('content', Content);
  out.set('content-attachment-ref', AttachmentRef);
  out.set('mls-identity', MlsIdentity);
  return out;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Every published file: name → exact text. */
export function generateSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of schemas()) {
    // 'input' leaves objects open (no additionalProperties: false), matching zod's parsing, which
    // ignores unknown keys: receivers must ignore fields they do not know (docs/protocol/README.md).
    const { $schema, ...json } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
    files.set(`${name}.json`, jsonText({ $schema, title: `Charla v${PROTOCOL_VERSION} ${name}`, ...json }));
  }
  files.set('error-codes.json', jsonText(ErrorCodes));
  files.set('limits-defaults.json', jsonText(DEFAULT_LIMITS));
  const methods = Object.fromEntries(
    Object.entries(Http).map(([name, m]) => [
      name,
      {
        method: m.method,
        path: m.path,
        auth: m.auth,
        request: m.request ? `http-${kebab(name)}-request.json` : null,
        response: m.response ? `http-${kebab(name)}-response.json` : null,
        errors: m.errors,
        summary: m.summary,
      },
    ]),
  );
  files.set('http-methods.json', jsonText(methods));
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}
