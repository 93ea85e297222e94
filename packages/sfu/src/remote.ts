import { WebSocket } from 'ws';
import { ControlServerFrame, MAX_CONTROL_FRAME_BYTES, parseControlFrame, type ControlClientFrame } from './control-protocol.ts';
import type { JoinOptions, Participant, RoomStats, Sfu, SfuEvents, SfuLoad, Signal, View } from './types.ts';

/**
 * The server's handle on a `charla sfu` process: the same `Sfu` interface as the in-process SFU,
 * over the control WebSocket (control-protocol.ts). `load()` and `stats()` return the figures the
 * SFU last pushed (every second and after each join/leave). When the connection drops, every
 * participant joined through it is reported through `onDisconnected(…, 'sfu-lost')` and later
 * joins fail at once; the server may connect again (or to another SFU) and rejoin them.
 */

export type RemoteSfu = Sfu & {
  /** True until the control connection closes. */
  readonly connected: boolean;
  /** The SFU announced it is draining: assign new rooms elsewhere. */
  readonly draining: boolean;
  /** Resolves when the control connection has closed (for whatever reason). */
  readonly closed: Promise<void>;
};

type RemoteParticipant = {
  roomId: string;
  signal: Signal;
  idle: boolean;
  lastError: Error | undefined;
  waiters: { resolve: () => void; reject: (error: Error) => void }[];
};

export type ConnectSfuOptions = SfuEvents & { connectTimeoutMs?: number };

export async function connectSfu(url: string, secret: string, options: ConnectSfuOptions = {}): Promise<RemoteSfu> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${secret}` }, maxPayload: MAX_CONTROL_FRAME_BYTES });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`could not connect to the SFU at ${url} in time`));
    }, options.connectTimeoutMs ?? 10_000);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`the SFU refused the control connection: HTTP ${res.statusCode}`));
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });

  const participants = new Map<string, RemoteParticipant>();
  const leaves = new Map<number, () => void>();
  let nextRequestId = 1;
  let connected = true;
  let draining = false;
  let lastLoad: SfuLoad = { rooms: 0, participants: 0, forwardedStreams: 0 };
  let lastStats = new Map<string, RoomStats>();

  const send = (frame: ControlClientFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };

  function settle(p: RemoteParticipant, error: Error | undefined): void {
    p.idle = true;
    p.lastError = error;
    for (const waiter of p.waiters.splice(0)) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  function onFrame(frame: ControlServerFrame): void {
    switch (frame.t) {
      case 'offer': {
        const p = participants.get(frame.participantId);
        if (!p) {
          send({ t: 'answerFailed', participantId: frame.participantId, offerId: frame.offerId, message: 'unknown participant' });
          return;
        }
        p.idle = false;
        p.signal({ type: 'offer', sdp: frame.sdp }).then(
          (answer) => send({ t: 'answer', participantId: frame.participantId, offerId: frame.offerId, sdp: answer.sdp }),
          (error: unknown) => {
            const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
            send({ t: 'answerFailed', participantId: frame.participantId, offerId: frame.offerId, message });
          },
        );
        return;
      }
      case 'negotiated': {
        const p = participants.get(frame.participantId);
        if (!p) return;
        const error = frame.ok ? undefined : new Error(frame.message ?? 'negotiation failed');
        if (error) options.onNegotiationError?.(frame.participantId, error);
        settle(p, error);
        return;
      }
      case 'left':
        leaves.get(frame.id)?.();
        leaves.delete(frame.id);
        return;
      case 'speakers':
        options.onSpeakers?.(frame.roomId, frame.participantIds);
        return;
      case 'disconnected': {
        const p = participants.get(frame.participantId);
        if (!p) return;
        participants.delete(frame.participantId);
        settle(p, new Error('disconnected from the SFU'));
        options.onDisconnected?.(frame.roomId, frame.participantId, frame.reason);
        return;
      }
      case 'load':
        lastLoad = frame.load;
        draining = frame.draining;
        lastStats = new Map(frame.rooms.map(({ roomId, ...stats }) => [roomId, stats]));
        return;
    }
  }

  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  ws.on('message', (data, isBinary) => {
    const frame = parseControlFrame(ControlServerFrame, data, isBinary);
    if (!frame) {
      ws.close(1008, 'invalid frame');
      return;
    }
    onFrame(frame);
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    connected = false;
    for (const done of leaves.values()) done();
    leaves.clear();
    const lost = [...participants];
    participants.clear();
    lastLoad = { rooms: 0, participants: 0, forwardedStreams: 0 };
    lastStats = new Map();
    for (const [id, p] of lost) {
      settle(p, new Error('the SFU connection closed'));
      options.onDisconnected?.(p.roomId, id, 'sfu-lost');
    }
    resolveClosed();
  });

  function join(roomId: string, participantId: string, signal: Signal, view?: View, joinOptions?: JoinOptions): Participant {
    if (participants.has(participantId)) throw new Error(`participant ${participantId} already joined`);
    const p: RemoteParticipant = { roomId, signal, idle: false, lastError: undefined, waiters: [] };
    if (!connected) {
      settle(p, new Error('the SFU connection is closed'));
      queueMicrotask(() => options.onDisconnected?.(roomId, participantId, 'sfu-lost'));
    } else {
      participants.set(participantId, p);
      send({ t: 'join', roomId, participantId, ...(view ? { view } : {}), ...(joinOptions?.simulcast !== undefined ? { simulcast: joinOptions.simulcast } : {}) });
    }
    return {
      id: participantId,
      roomId,
      negotiated: () => {
        if (p.idle) return p.lastError ? Promise.reject(p.lastError) : Promise.resolve();
        return new Promise((resolve, reject) => p.waiters.push({ resolve, reject }));
      },
    };
  }

  async function leave(participantId: string): Promise<void> {
    const p = participants.get(participantId);
    if (!p) return;
    participants.delete(participantId);
    settle(p, undefined);
    if (!connected) return;
    const id = nextRequestId++;
    await new Promise<void>((resolve) => {
      leaves.set(id, resolve);
      send({ t: 'leave', id, participantId });
    });
  }

  function setView(participantId: string, view: View): void {
    if (participants.has(participantId)) send({ t: 'setView', participantId, view });
  }

  async function close(): Promise<void> {
    if (ws.readyState !== ws.CLOSED) {
      ws.close(1000, 'server closing');
      await closed;
    }
  }

  return {
    join,
    leave,
    setView,
    stats: (roomId) => lastStats.get(roomId),
    load: () => lastLoad,
    close,
    get connected() {
      return connected;
    },
    get draining() {
      return draining;
    },
    closed,
  };
}
