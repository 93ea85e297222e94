/**
 * RoomSession: one browser's place in a room (group video call joined from a link), media end to
 * end encrypted. The UI (packages/web/src/rooms) renders it; it holds all protocol and crypto logic.
 *
 *   const session = await RoomSession.join({ serverUrl, roomId, secret, hostToken?, name, localStream? });
 *   session.on('change', render);            // any state, participant, lobby or lock change
 *
 * State: `state` ('connecting' | 'lobby' | 'joined' | 'reconnecting' | 'left' | 'removed' |
 * 'refused' | 'locked-out'), `me` { participantId, role, name }, `participants()` (everyone else,
 * RoomPeer: { participantId, name, role, media, stream?, speaking }), `lobby()` (host only),
 * `locked`, `lobbyEnabled`, `localStream`, `chat()` ({ from, name, text, ts, mine }[]).
 * Actions: setAudio(on), setVideo(on), startScreenShare(), stopScreenShare(), sendChat(text),
 * setView({ lastN?, pinned?, lowQuality? }), quality() → 'good' | 'fair' | 'poor', leave().
 * Host: lock(on), setLobby(on), admit(id), refuse(id), remove(id), askMute(id), makeHost(id).
 * Events (on/off): 'change', 'chat' (message), 'speakers' (participant ids, loudest first),
 * 'muteRequested' (by), 'error' (error).
 *
 * join() resolves once in the room ('joined') or waiting in its lobby ('lobby'); it rejects with a
 * RoomError whose `code` is the server's (UNKNOWN_ROOM, ROOM_KEY_MISMATCH, ROOM_LOCKED, ROOM_FULL)
 * or NETWORK / E2EE_UNSUPPORTED. A knocked guest the host refuses ends in 'refused'.
 *
 * Keys (see room-keyring.ts and @charla/crypto room-keys.ts): everything derives from the link
 * secret, which never leaves this page. Each join has an ephemeral X25519 key whose pubMac proves
 * the link; the host seals the current epoch to each newcomer, and after removing someone seals a
 * fresh epoch to everyone who stays. A dropped connection (socket closed, ping unanswered, ICE
 * failed) is resumed with the resume token, with backoff, keeping keys and role.
 *
 * Test hooks: `receiveStats()` and `workerStats()` report what was decoded per participant, and
 * `keyEpoch` the media key epoch; the
 * join option `testWrongMediaKey` (or `globalThis.__charlaRoomTest = { wrongMediaKey: true }` set
 * before joining) keys this page's media with a random secret instead of the link's.
 */
import { fromBase64Url, toBase64Url, type MediaState, type Participant, type RoomServerFrame } from '@charla/protocol';
import {
  newRoomJoinKeys,
  newRoomSecret,
  openPairwise,
  openRoomChat,
  openRoomName,
  roomAccessKey,
  roomChatEpoch,
  roomPubMac,
  sealPairwise,
  sealRoomChat,
  sealRoomName,
  verifyRoomPubMac,
  type RoomJoinKeys,
} from '@charla/crypto';
import { SerialQueue } from '../serial-queue.ts';
import type { WorkerReply, WorkerStats } from './frame-worker-api.ts';
import { e2eeSupported, MediaLink, type Kind, type Quality, type ReceiveStats, type SendStats } from './media-link.ts';
import { KeyMessage, RoomKeyring } from './room-keyring.ts';
import { RoomError, RoomSocket } from './room-socket.ts';

export type RoomState = 'connecting' | 'lobby' | 'joined' | 'reconnecting' | 'left' | 'removed' | 'refused' | 'locked-out';
export type RoomRole = 'host' | 'guest';
export type { Quality, ReceiveStats, SendStats };

export interface RoomPeer {
  participantId: string;
  name: string;
  role: RoomRole;
  media: MediaState;
  stream?: MediaStream;
  speaking: boolean;
}

export interface RoomChatMessage {
  from: string;
  name: string;
  text: string;
  ts: number;
  mine: boolean;
}

export interface RoomView {
  lastN?: number;
  pinned?: string[];
  lowQuality?: boolean;
}

export interface RoomSessionEvents {
  change: () => void;
  chat: (message: RoomChatMessage) => void;
  speakers: (participantIds: string[]) => void;
  muteRequested: (by: string) => void;
  error: (error: unknown) => void;
}

export interface RoomJoinOptions {
  serverUrl: string;
  roomId: string;
  /** The link secret: base64url (from the URL fragment) or its 32 bytes. */
  secret: string | Uint8Array;
  hostToken?: string;
  name: string;
  /** The camera and microphone to send; without it the session asks getUserMedia itself. */
  localStream?: MediaStream;
  /** Called once the session's own getUserMedia (when no localStream was given) resolves. */
  onLocalStream?: (stream: MediaStream) => void;
  /** Test hook: key this page's media with a random secret (it then decrypts nobody). */
  testWrongMediaKey?: boolean;
}

type Peer = RoomPeer & { pub: Uint8Array; verified: boolean; tracks: Map<Kind, MediaStreamTrack> };

const MAX_CHAT_TEXT = 4000;
const MAX_CHAT_HISTORY = 500;
const BACKOFF_MS = [500, 1000, 2000, 4000, 5000];
const TERMINAL: readonly RoomState[] = ['left', 'removed', 'refused', 'locked-out'];

declare global {
  // Test hook only: set by a test before joining.
  var __charlaRoomTest: { wrongMediaKey?: boolean } | undefined;
}

export class RoomSession {
  readonly #options: RoomJoinOptions;
  readonly #secret: Uint8Array;
  readonly #joinKeys: RoomJoinKeys;
  readonly #worker: Worker;
  readonly #keyring: RoomKeyring;
  readonly #listeners = new Map<keyof RoomSessionEvents, Set<(...args: never[]) => void>>();
  readonly #peers = new Map<string, Peer>();
  readonly #lobby = new Map<string, Peer>();
  readonly #chat: RoomChatMessage[] = [];
  /** Key distribution (host) and rotations, one at a time, so a newcomer never gets a stale epoch. */
  readonly #keyQueue = new SerialQueue();
  #offers = Promise.resolve();
  /** Counts the offers received; one that a newer offer superseded is not answered ([ROOM-6]). */
  #offersSeen = 0;
  #socket: RoomSocket | undefined;
  #link: MediaLink | undefined;
  #state: RoomState = 'connecting';
  #me: { participantId: string; role: RoomRole; name: string };
  #resumeToken: string | undefined;
  #locked = false;
  #lobbyEnabled = false;
  #media: MediaState = { audio: true, video: true, screen: false };
  #localStream: MediaStream | undefined;
  #localReady: Promise<void>;
  #camera: MediaStreamTrack | null = null;
  #screen: MediaStreamTrack | null = null;
  #attempt = 0;
  #joinedApplied: Promise<void> = Promise.resolve();
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #statsRequests = new Map<number, (stats: WorkerStats) => void>();
  #nextStatsRequest = 1;

  private constructor(options: RoomJoinOptions, secret: Uint8Array) {
    this.#options = options;
    this.#secret = secret;
    this.#joinKeys = newRoomJoinKeys();
    this.#me = { participantId: '', role: 'guest', name: options.name.trim() };
    this.#worker = new Worker(new URL('./frame-worker.ts', import.meta.url), { type: 'module', name: 'charla-room-frames' });
    this.#worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => {
      if (event.data?.t !== 'stats') return;
      this.#statsRequests.get(event.data.requestId)?.(event.data.stats);
      this.#statsRequests.delete(event.data.requestId);
    });
    const wrongKey = options.testWrongMediaKey === true || globalThis.__charlaRoomTest?.wrongMediaKey === true;
    this.#keyring = new RoomKeyring(wrongKey ? newRoomSecret() : secret, (cmd) => this.#worker.postMessage(cmd));
    this.#localStream = options.localStream;
    this.#localReady = Promise.resolve();
  }

  /** Joins a room; see the file header for what it resolves and rejects with. */
  static async join(options: RoomJoinOptions): Promise<RoomSession> {
    if (!e2eeSupported()) throw new RoomError('E2EE_UNSUPPORTED', 'this browser cannot encrypt call media end to end (no RTCRtpScriptTransform)');
    const secret = typeof options.secret === 'string' ? decodeSecret(options.secret) : options.secret;
    if (secret.length !== 32) throw new RoomError('ROOM_KEY_MISMATCH', 'the room link is incomplete');
    const session = new RoomSession(options, secret);
    // Signalling handlers go up before getUserMedia is awaited: offers that arrive meanwhile wait
    // for the tracks instead of being lost.
    const joined = session.#connect();
    session.#localReady = session.#acquireMedia();
    try {
      await joined;
    } catch (error) {
      session.#teardown();
      throw error;
    }
    return session;
  }

  // ---- state -------------------------------------------------------------------------------

  get state(): RoomState {
    return this.#state;
  }

  get me(): { participantId: string; role: RoomRole; name: string } {
    return this.#me;
  }

  get locked(): boolean {
    return this.#locked;
  }

  get lobbyEnabled(): boolean {
    return this.#lobbyEnabled;
  }

  get localStream(): MediaStream | undefined {
    return this.#localStream;
  }

  /** The media key epoch this page sends with (0 until a host removes someone); for tests and a status line. */
  get keyEpoch(): number {
    return this.#keyring.epoch;
  }

  /** My own media switches as the others see them. */
  get media(): MediaState {
    return { ...this.#media };
  }

  participants(): RoomPeer[] {
    return [...this.#peers.values()].map(publicPeer);
  }

  lobby(): RoomPeer[] {
    return [...this.#lobby.values()].map(publicPeer);
  }

  chat(): RoomChatMessage[] {
    return this.#chat.slice();
  }

  on<E extends keyof RoomSessionEvents>(event: E, listener: RoomSessionEvents[E]): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (...args: never[]) => void);
    return () => this.off(event, listener);
  }

  off<E extends keyof RoomSessionEvents>(event: E, listener: RoomSessionEvents[E]): void {
    this.#listeners.get(event)?.delete(listener as (...args: never[]) => void);
  }

  // ---- media -------------------------------------------------------------------------------

  setAudio(on: boolean): void {
    for (const t of this.#localStream?.getAudioTracks() ?? []) t.enabled = on;
    this.#setMedia({ audio: on });
  }

  setVideo(on: boolean): void {
    for (const t of this.#localStream?.getVideoTracks() ?? []) t.enabled = on;
    this.#setMedia({ video: on });
  }

  /** Sends a screen (getDisplayMedia) instead of the camera until stopScreenShare or the share ends. */
  async startScreenShare(): Promise<void> {
    if (this.#screen) return;
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = display.getVideoTracks()[0];
    if (!track) return;
    this.#screen = track;
    track.addEventListener('ended', () => void this.stopScreenShare());
    await this.#link?.setTrack('video', track);
    this.#setMedia({ screen: true });
  }

  async stopScreenShare(): Promise<void> {
    const track = this.#screen;
    if (!track) return;
    this.#screen = null;
    track.stop();
    await this.#link?.setTrack('video', this.#camera);
    this.#setMedia({ screen: false });
  }

  setView(view: RoomView): void {
    this.#socket?.send({ t: 'view', ...view });
  }

  async quality(): Promise<Quality> {
    if (this.#state !== 'joined' || !this.#link) return 'poor';
    return this.#link.quality();
  }

  /** Per participant: frames decoded, audio samples received (getStats of each received track). */
  async receiveStats(): Promise<Record<string, ReceiveStats>> {
    return this.#link ? this.#link.receiveStats() : {};
  }

  /** What this page sent (frames, key frames) and the key-frame requests it received. */
  async sendStats(): Promise<SendStats | undefined> {
    return this.#link?.sendStats();
  }

  /** Frames this page encrypted, and per sender decrypted or dropped (undecryptable). */
  workerStats(): Promise<WorkerStats> {
    const requestId = this.#nextStatsRequest++;
    return new Promise((resolve) => {
      this.#statsRequests.set(requestId, resolve);
      this.#worker.postMessage({ t: 'stats', requestId });
    });
  }

  // ---- chat --------------------------------------------------------------------------------

  async sendChat(text: string): Promise<void> {
    const body = text.trim().slice(0, MAX_CHAT_TEXT);
    if (!body || !this.#socket) return;
    const { epoch, key } = this.#keyring.chatKey();
    const sealed = await sealRoomChat(key, epoch, new TextEncoder().encode(JSON.stringify({ text: body })));
    // The server echoes it back to us with its timestamp: one order for everyone.
    await this.#socket.request({ t: 'chat', data: toBase64Url(sealed) });
  }

  // ---- host --------------------------------------------------------------------------------

  async lock(on: boolean): Promise<void> {
    await this.#request({ t: 'lock', locked: on });
  }

  async setLobby(on: boolean): Promise<void> {
    await this.#request({ t: 'lock', lobby: on });
  }

  async admit(participantId: string): Promise<void> {
    await this.#request({ t: 'admit', participantId });
  }

  async refuse(participantId: string): Promise<void> {
    await this.#request({ t: 'refuse', participantId });
    if (this.#lobby.delete(participantId)) this.#changed();
  }

  /** Removes someone, then rotates the media key so that they cannot decrypt what follows. */
  async remove(participantId: string): Promise<void> {
    await this.#request({ t: 'remove', participantId });
    if (this.#peers.delete(participantId)) this.#changed();
    await this.#keyQueue.run(() => this.#rotate());
  }

  async askMute(participantId: string): Promise<void> {
    await this.#request({ t: 'askMute', participantId });
  }

  async makeHost(participantId: string): Promise<void> {
    await this.#request({ t: 'makeHost', participantId });
  }

  async leave(): Promise<void> {
    if (TERMINAL.includes(this.#state)) return;
    this.#socket?.send({ t: 'leave' });
    this.#end('left');
  }

  // ---- connection --------------------------------------------------------------------------

  async #acquireMedia(): Promise<void> {
    if (!this.#localStream) {
      try {
        this.#localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        this.#options.onLocalStream?.(this.#localStream);
      } catch (error) {
        // Joining without a camera or microphone still lets this page watch and listen.
        this.#media = { audio: false, video: false, screen: false };
        this.#emit('error', error);
      }
    }
    const stream = this.#localStream;
    if (stream) {
      this.#camera = stream.getVideoTracks()[0] ?? null;
      this.#media = { audio: stream.getAudioTracks().some((t) => t.enabled), video: stream.getVideoTracks().some((t) => t.enabled), screen: false };
      await this.#link?.setTrack('audio', stream.getAudioTracks()[0] ?? null);
      await this.#link?.setTrack('video', this.#screen ?? this.#camera);
    }
    this.#socket?.send({ t: 'state', media: this.#media });
  }

  /** Opens a socket and joins (or resumes); resolves on `joined` or `lobby`. */
  async #connect(): Promise<void> {
    const socket = new RoomSocket(this.#options.serverUrl, {
      onFrame: (frame) => {
        if (this.#socket === socket) this.#onFrame(frame);
      },
      onClose: (reason) => {
        if (this.#socket === socket) this.#dropped(`signalling ${reason}`);
      },
      onInvalid: (error) => this.#emit('error', error),
    });
    this.#socket = socket;
    this.#link?.close();
    this.#link = this.#newLink();
    await socket.opened;
    const pub = this.#joinKeys.publicKey;
    const answer = await socket.request({
      t: 'join',
      roomId: this.#options.roomId,
      accessKey: toBase64Url(roomAccessKey(this.#secret)),
      name: toBase64Url(await sealRoomName(this.#secret, this.#me.name)),
      pub: toBase64Url(pub),
      pubMac: toBase64Url(roomPubMac(this.#secret, pub)),
      ...(this.#options.hostToken ? { hostToken: this.#options.hostToken } : {}),
      ...(this.#resumeToken ? { resumeToken: this.#resumeToken } : {}),
      media: this.#media,
      ...(this.#link.simulcast ? { simulcast: true } : {}),
    });
    // `joined`/`lobby` are applied by #onFrame too (they may also come later, on admission).
    if (answer.t !== 'joined' && answer.t !== 'lobby') throw new RoomError('INVALID_FRAME', `unexpected answer to join: ${answer.t}`);
    // The frame went on to #onFrame right after answering the request; wait until it is applied.
    if (answer.t === 'joined') await this.#joinedApplied;
  }

  #newLink(): MediaLink {
    const link = new MediaLink(this.#worker, {
      onRemoteTrack: (participantId, track) => this.#remoteTrack(participantId, track),
      onFailed: () => {
        if (this.#link === link) this.#dropped('media connection failed');
      },
    });
    const stream = this.#localStream;
    if (stream) {
      void link.setTrack('audio', stream.getAudioTracks()[0] ?? null);
      void link.setTrack('video', this.#screen ?? stream.getVideoTracks()[0] ?? null);
    }
    return link;
  }

  /** The connection dropped: try to resume, with backoff, until it works or the room is gone. */
  #dropped(reason: string): void {
    if (TERMINAL.includes(this.#state) || this.#reconnectTimer) return;
    const wasIn = this.#state === 'joined' || this.#state === 'reconnecting';
    if (!wasIn && this.#state !== 'lobby') return;
    if (this.#state !== 'reconnecting') this.#emit('error', new RoomError('NETWORK', `connection lost (${reason}): reconnecting`));
    // Forget them before closing: closing reports back through onClose, which must not re-enter.
    const socket = this.#socket;
    const link = this.#link;
    this.#socket = undefined;
    this.#link = undefined;
    socket?.close();
    link?.close();
    // A guest dropped from the lobby has no resume token: it knocks again.
    this.#state = 'reconnecting';
    this.#forgetRemoteMedia();
    const delay = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)]!;
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect().then(
        () => {
          this.#attempt = 0;
        },
        (error: unknown) => {
          if (error instanceof RoomError && ['UNKNOWN_ROOM', 'ROOM_KEY_MISMATCH', 'ROOM_LOCKED', 'ROOM_FULL'].includes(error.code)) {
            this.#emit('error', error);
            this.#end(error.code === 'ROOM_LOCKED' ? 'locked-out' : 'left');
            return;
          }
          this.#dropped(error instanceof Error ? error.message : 'reconnection failed');
        },
      );
    }, delay);
  }

  #end(state: RoomState): void {
    this.#state = state;
    this.#teardown();
    this.#changed();
  }

  #teardown(): void {
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close();
    this.#link?.close();
    this.#link = undefined;
    this.#screen?.stop();
    this.#keyring.dispose();
    this.#worker.terminate();
    for (const p of this.#peers.values()) delete p.stream;
  }

  // ---- frames from the server ----------------------------------------------------------------

  #onFrame(frame: RoomServerFrame): void {
    switch (frame.t) {
      case 'joined':
        this.#joinedApplied = this.#joined(frame);
        return;
      case 'lobby':
        this.#me = { ...this.#me, participantId: frame.participantId };
        this.#state = 'lobby';
        this.#changed();
        return;
      case 'refused':
        this.#end('refused');
        return;
      case 'removed':
        this.#end('removed');
        return;
      case 'knock':
        void this.#addPeer(frame.participant, this.#lobby).then(() => this.#changed());
        return;
      case 'lobbyLeft':
        if (this.#lobby.delete(frame.participantId)) this.#changed();
        return;
      case 'participantJoined':
        this.#lobby.delete(frame.participant.participantId);
        void this.#participantJoined(frame.participant);
        return;
      case 'participantLeft':
        if (this.#peers.delete(frame.participantId)) this.#changed();
        return;
      case 'participantUpdated': {
        const p = this.#peers.get(frame.participantId);
        if (p) {
          p.media = frame.media;
          this.#changed();
        }
        return;
      }
      case 'hostChanged':
        this.#hostChanged(frame.participantId);
        return;
      case 'locked':
        this.#locked = frame.locked;
        this.#lobbyEnabled = frame.lobby;
        this.#changed();
        return;
      case 'muteRequested':
        this.#emit('muteRequested', frame.by);
        return;
      case 'relay':
        void this.#relayed(frame.from, frame.data);
        return;
      case 'chat':
        void this.#chatReceived(frame.from, frame.data, frame.ts);
        return;
      case 'offer':
        this.#offer(frame);
        return;
      case 'speakers': {
        const speaking = new Set(frame.participantIds);
        for (const p of this.#peers.values()) p.speaking = speaking.has(p.participantId);
        this.#emit('speakers', frame.participantIds);
        return;
      }
      case 'err':
        this.#emit('error', new RoomError(frame.code, frame.message, frame.retryAfterMs));
        return;
      case 'ok':
        return;
    }
  }

  async #joined(frame: Extract<RoomServerFrame, { t: 'joined' }>): Promise<void> {
    this.#me = { ...this.#me, participantId: frame.participantId, role: frame.role };
    this.#resumeToken = frame.resumeToken;
    this.#locked = frame.locked;
    this.#lobbyEnabled = frame.lobbyEnabled;
    const peers = new Map<string, Peer>();
    const lobby = new Map<string, Peer>();
    await Promise.all([...frame.participants.map((p) => this.#addPeer(p, peers)), ...frame.lobby.map((p) => this.#addPeer(p, lobby))]);
    // Tracks that arrived while the names were being opened stay.
    for (const [id, p] of peers) {
      const old = this.#peers.get(id);
      if (old?.stream) {
        p.stream = old.stream;
        p.tracks = old.tracks;
      }
    }
    this.#peers.clear();
    for (const [id, p] of peers) this.#peers.set(id, p);
    this.#lobby.clear();
    for (const [id, p] of lobby) this.#lobby.set(id, p);
    this.#keyring.sendAs(frame.participantId);
    this.#state = 'joined';
    this.#changed();
    // A host back from a dropped connection may have missed newcomers after a rotation: it gives
    // everyone the current epoch again (receivers ignore what they already have).
    if (this.#me.role === 'host' && this.#keyring.epoch > 0) {
      const message = this.#keyring.keyMessage();
      for (const peer of this.#peers.values()) void this.#keyQueue.run(() => this.#sendKey(peer, message)).catch((error: unknown) => this.#emit('error', error));
    }
  }

  async #addPeer(p: Participant, into: Map<string, Peer>): Promise<Peer> {
    const pub = fromBase64Url(p.pub);
    const verified = verifyRoomPubMac(this.#secret, pub, fromBase64Url(p.pubMac));
    const name = verified ? ((await openRoomName(this.#secret, fromBase64Url(p.name))) ?? '?') : '?';
    const existing = this.#peers.get(p.participantId) ?? this.#orphans.get(p.participantId);
    this.#orphans.delete(p.participantId);
    const peer: Peer = {
      participantId: p.participantId,
      name,
      role: p.role,
      media: p.media,
      speaking: false,
      pub,
      verified,
      tracks: existing?.tracks ?? new Map(),
      ...(existing?.stream ? { stream: existing.stream } : {}),
    };
    into.set(p.participantId, peer);
    return peer;
  }

  async #participantJoined(p: Participant): Promise<void> {
    // Ratchet first: whatever the newcomer is given cannot decrypt what was sent before.
    this.#keyring.advance();
    const peer = await this.#addPeer(p, this.#peers);
    this.#changed();
    if (this.#me.role === 'host' && peer.verified) {
      await this.#keyQueue.run(() => this.#sendKey(peer, this.#keyring.keyMessage())).catch((error: unknown) => this.#emit('error', error));
    }
  }

  #hostChanged(participantId: string): void {
    // `participantId` is now a host too (the server may promote one when the last host leaves).
    const peer = this.#peers.get(participantId);
    if (peer) peer.role = 'host';
    if (participantId === this.#me.participantId) this.#me = { ...this.#me, role: 'host' };
    this.#changed();
  }

  async #sendKey(peer: Peer, message: KeyMessage): Promise<void> {
    if (!peer.verified || !this.#socket) return;
    const sealed = await sealPairwise(this.#options.roomId, this.#joinKeys, peer.pub, new TextEncoder().encode(JSON.stringify(message)));
    await this.#socket.request({ t: 'relay', to: peer.participantId, data: toBase64Url(sealed) });
  }

  /** After a removal: a fresh epoch to everyone who stays (verified), then send with it. */
  async #rotate(): Promise<void> {
    const message = this.#keyring.rotate();
    const results = await Promise.allSettled([...this.#peers.values()].map((p) => this.#sendKey(p, message)));
    for (const r of results) if (r.status === 'rejected') this.#emit('error', r.reason);
    this.#keyring.switchAfterDelivery();
  }

  async #relayed(from: string, data: string): Promise<void> {
    const sender = this.#peers.get(from);
    // Keys are taken only from the host, and only over a key that proved the link (pubMac).
    if (!sender?.verified || sender.role !== 'host') return;
    const plain = await openPairwise(this.#options.roomId, this.#joinKeys, sender.pub, fromBase64Url(data));
    if (!plain) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(plain));
    } catch {
      return;
    }
    const message = KeyMessage.safeParse(parsed);
    if (message.success && !this.#wrongKeyForTests()) this.#keyring.accept(message.data);
  }

  #wrongKeyForTests(): boolean {
    return this.#options.testWrongMediaKey === true || globalThis.__charlaRoomTest?.wrongMediaKey === true;
  }

  async #chatReceived(from: string, data: string, ts: number): Promise<void> {
    const sealed = fromBase64Url(data);
    const epoch = roomChatEpoch(sealed);
    const key = epoch === undefined ? undefined : this.#keyring.chatKeyOf(epoch);
    const plain = key && (await openRoomChat(key, sealed));
    if (!plain) return;
    let text: unknown;
    try {
      text = (JSON.parse(new TextDecoder().decode(plain)) as { text?: unknown }).text;
    } catch {
      return;
    }
    if (typeof text !== 'string') return;
    const mine = from === this.#me.participantId;
    const name = mine ? this.#me.name : (this.#peers.get(from)?.name ?? '?');
    this.#pushChat({ from, name, text: text.slice(0, MAX_CHAT_TEXT), ts, mine });
  }

  #pushChat(message: RoomChatMessage): void {
    this.#chat.push(message);
    if (this.#chat.length > MAX_CHAT_HISTORY) this.#chat.splice(0, this.#chat.length - MAX_CHAT_HISTORY);
    this.#emit('chat', message);
  }

  #offer(frame: Extract<RoomServerFrame, { t: 'offer' }>): void {
    const socket = this.#socket;
    if (!socket || !this.#link) return;
    const seen = ++this.#offersSeen;
    // One offer at a time, and not before the local tracks are known (they go into the answer).
    this.#offers = this.#offers
      .then(() => this.#localReady)
      .then(async () => {
        // An offer for a connection already replaced (a reconnection) is moot, and so is one a
        // newer offer superseded: the server waits only for the newest offer's answer.
        if (this.#socket !== socket || seen !== this.#offersSeen) return;
        const link = this.#linkFor(frame.session);
        if (!link) return;
        const answer = await link.answer(frame.sdp);
        if (this.#socket === socket && this.#link === link) socket.send({ t: 'answer', sdp: answer, ...(frame.offerId === undefined ? {} : { offerId: frame.offerId }) });
      })
      .catch((error: unknown) => this.#emit('error', error));
  }

  /**
   * The link that answers an offer of SFU connection `session`. A new session is a new SFU peer
   * connection ([ROOM-6]) and gets a new RTCPeerConnection: applied to the old one, its offer
   * clashes with what that one negotiated before (other mids, m-lines in another order).
   */
  #linkFor(session: number | undefined): MediaLink | undefined {
    const link = this.#link;
    if (!link || session === undefined) return link;
    if (link.session === undefined || link.session === session) {
      link.session = session;
      return link;
    }
    link.close();
    const fresh = this.#newLink();
    fresh.session = session;
    this.#link = fresh;
    // The old connection's tracks went with it; the new one brings its own.
    this.#forgetRemoteMedia();
    return fresh;
  }

  /** The media connection the others' tracks came on is gone: they show without media until new tracks come. */
  #forgetRemoteMedia(): void {
    for (const p of this.#peers.values()) {
      delete p.stream;
      p.tracks.clear();
    }
    this.#changed();
  }

  #remoteTrack(participantId: string, track: MediaStreamTrack): void {
    const peer = this.#peers.get(participantId);
    const kind = track.kind as Kind;
    // A track may come before the participant's announcement: keep it for when it does.
    const target = peer ?? this.#pendingPeer(participantId);
    target.tracks.set(kind, track);
    target.stream = new MediaStream([...target.tracks.values()]);
    track.addEventListener('ended', () => {
      if (target.tracks.get(kind) !== track) return;
      target.tracks.delete(kind);
      target.stream = new MediaStream([...target.tracks.values()]);
      this.#changed();
    });
    this.#changed();
  }

  #pendingPeer(participantId: string): Peer {
    const peer: Peer = {
      participantId,
      name: '?',
      role: 'guest',
      media: { audio: true, video: true, screen: false },
      speaking: false,
      pub: new Uint8Array(32),
      verified: false,
      tracks: new Map(),
    };
    // Not listed until the server announces it; #addPeer picks its tracks up.
    this.#orphans.set(participantId, peer);
    return peer;
  }

  readonly #orphans = new Map<string, Peer>();

  // ---- helpers -----------------------------------------------------------------------------

  async #request(frame: Parameters<RoomSocket['request']>[0]): Promise<void> {
    if (!this.#socket) throw new RoomError('NETWORK', 'not connected to the room');
    await this.#socket.request(frame);
  }

  #setMedia(change: Partial<MediaState>): void {
    this.#media = { ...this.#media, ...change };
    this.#socket?.send({ t: 'state', media: this.#media });
    this.#changed();
  }

  #changed(): void {
    this.#emit('change');
  }

  #emit<E extends keyof RoomSessionEvents>(event: E, ...args: Parameters<RoomSessionEvents[E]>): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as (...a: Parameters<RoomSessionEvents[E]>) => void)(...args);
      } catch {
        // a listener's failure is the UI's to report; the session goes on
      }
    }
  }
}

function publicPeer(p: Peer): RoomPeer {
  return { participantId: p.participantId, name: p.name, role: p.role, media: { ...p.media }, speaking: p.speaking, ...(p.stream ? { stream: p.stream } : {}) };
}

function decodeSecret(text: string): Uint8Array {
  try {
    return fromBase64Url(text);
  } catch {
    throw new RoomError('ROOM_KEY_MISMATCH', 'the room link is incomplete');
  }
}
