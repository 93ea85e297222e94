import { z } from 'zod';

/**
 * The control protocol between a Charla server (client) and a `charla sfu` process (server):
 * JSON text frames over one WebSocket at `/v1/sfu/control`, authenticated at the upgrade with
 * `Authorization: Bearer <shared secret>`. It carries exactly what the `Sfu` interface does: the
 * server joins/leaves participants and sets their views; the SFU sends its offers (the server
 * relays them to the clients and returns their answers), speaker rankings, disconnections and
 * its load. Every frame is validated on arrival, both ways.
 */

export const CONTROL_PATH = '/v1/sfu/control';
/** Largest control frame (an SDP offer for 100 participants is ~150 KB). */
export const MAX_CONTROL_FRAME_BYTES = 1024 * 1024;

const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/);
const RequestId = z.number().int().min(0).max(2 ** 31);
const Sdp = z.string().min(1).max(512 * 1024);
export const ControlView = z.object({
  lastN: z.number().int().min(0).max(100).optional(),
  pinned: z.array(Id).max(8).optional(),
  lowQuality: z.boolean().optional(),
});
const Load = z.object({ rooms: z.number().int().min(0), participants: z.number().int().min(0), forwardedStreams: z.number().int().min(0) });
const Stats = z.object({
  roomId: Id,
  participants: z.array(Id).max(1000),
  forwardedPackets: z.number().int().min(0),
  keyFrameRequests: z.number().int().min(0),
});

// Server → SFU.
export const ControlClientFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('join'), roomId: Id, participantId: Id, view: ControlView.optional(), simulcast: z.boolean().optional() }),
  /** The participant's answer to the SFU's offer `offerId`. */
  z.object({ t: z.literal('answer'), participantId: Id, offerId: RequestId, sdp: Sdp }),
  /** The offer could not be delivered or answered. */
  z.object({ t: z.literal('answerFailed'), participantId: Id, offerId: RequestId, message: z.string().max(500) }),
  z.object({ t: z.literal('leave'), id: RequestId, participantId: Id }),
  z.object({ t: z.literal('setView'), participantId: Id, view: ControlView }),
]);
export type ControlClientFrame = z.infer<typeof ControlClientFrame>;

// SFU → server.
export const ControlServerFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('offer'), participantId: Id, offerId: RequestId, sdp: Sdp }),
  /** The participant's negotiation queue went idle: `ok` false if its last round failed. */
  z.object({ t: z.literal('negotiated'), participantId: Id, ok: z.boolean(), message: z.string().max(500).optional() }),
  z.object({ t: z.literal('left'), id: RequestId }),
  z.object({ t: z.literal('speakers'), roomId: Id, participantIds: z.array(Id).max(1000) }),
  z.object({ t: z.literal('disconnected'), roomId: Id, participantId: Id, reason: z.enum(['ice-failed', 'sfu-lost']) }),
  /** Sent on connect, every second, and right after joins and leaves. */
  z.object({ t: z.literal('load'), load: Load, rooms: z.array(Stats).max(10_000), draining: z.boolean() }),
]);
export type ControlServerFrame = z.infer<typeof ControlServerFrame>;

/** Decodes one control WebSocket message against `schema`; undefined for binary, non-JSON or invalid frames. */
export function parseControlFrame<T>(schema: z.ZodType<T>, data: unknown, isBinary: boolean): T | undefined {
  if (isBinary) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(data));
  } catch {
    return undefined;
  }
  const frame = schema.safeParse(parsed);
  return frame.success ? frame.data : undefined;
}
