import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  fromBase64Url,
  MAX_ROOM_LOBBY,
  MAX_ROOM_PARTICIPANTS,
  randomId,
  toBase64Url,
  type MediaState,
  type Participant,
  type RoomClientFrame,
  type RoomServerFrame,
} from '@charla/protocol';
import type { Logger } from 'pino';
import { BadRequestError, CharlaError } from '../errors.ts';
import { sha256 } from '../services/accounts.ts';
import type { RoomRecord } from '../store/types.ts';
import type { PooledSfu, SfuPool } from './sfu-pool.ts';

type Frame<T extends RoomClientFrame['t']> = Extract<RoomClientFrame, { t: T }>;
type JoinFrame = Frame<'join'>;
type RelayedFrame = Extract<RoomServerFrame, { t: 'relay' }>;
type View = { lastN?: number; pinned?: string[]; lowQuality?: boolean };

/** How long the SFU's offer waits for the participant's answer. */
const ANSWER_TIMEOUT_MS = 15_000;
/** While no SFU is reachable, a participant's media is retried this often. */
const MEDIA_RETRY_MS = 3000;
/** Relays kept for a participant whose connection dropped, delivered when it resumes (key rotations). */
const MAX_PENDING_RELAYS = 64;
const NO_MEDIA: MediaState = { audio: false, video: false, screen: false };

/** The socket side of a participant, as the room sees it. */
export interface RoomPeer {
  send(frame: RoomServerFrame): void;
  /** Closes the socket; the peer then reports nothing more to the room. */
  close(code: number, reason: string): void;
}

export interface LiveRoomOptions {
  readonly record: RoomRecord;
  readonly pool: SfuPool;
  readonly logger: Logger;
  readonly resumeGraceMs: number;
  /** The room has no participant and no lobby guest left. */
  readonly onEmpty: (room: LiveRoom) => void;
  /** Someone was admitted: push the room's expiry forward. */
  readonly onUsed: (room: LiveRoom) => void;
}

/** A participant (admitted) or a lobby guest. */
export class Member {
  readonly participantId = randomId(16);
  readonly name: string;
  readonly pub: string;
  readonly pubMac: string;
  role: 'host' | 'guest';
  media: MediaState;
  status: 'lobby' | 'admitted' | 'gone' = 'lobby';
  /** Admission order: the host role passes to the smallest ([ROOM-8]). */
  since = 0;
  peer: RoomPeer | null;
  resumeTokenHash: Uint8Array | null = null;
  dropTimer: NodeJS.Timeout | undefined;
  pendingRelays: RelayedFrame[] = [];
  /** The SFU offer waiting for this participant's answer: at most one ([ROOM-6]). */
  offer: { id: number; resolve: (sdp: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | null = null;
  /** Numbers this participant's offers (`offerId`), across SFU connections. */
  offers = 0;
  /** The SFU connection's lifecycle, serialised (a resume leaves before it joins again). */
  media$: Promise<void> = Promise.resolve();
  /** Counts this participant's SFU connections: `session` of its offers ([ROOM-6]). */
  mediaSession = 0;
  /** The SFU this participant's media connection is on, if any. */
  sfu: PooledSfu | null = null;
  view: View = {};
  /** Its client sends simulcast video ([ROOM-6]); the SFU then offers two layers. */
  readonly simulcast: boolean;

  constructor(peer: RoomPeer, join: JoinFrame, role: 'host' | 'guest') {
    this.peer = peer;
    this.name = join.name;
    this.pub = join.pub;
    this.pubMac = join.pubMac;
    this.role = role;
    this.media = join.media ?? NO_MEDIA;
    this.simulcast = join.simulcast ?? false;
  }

  get participant(): Participant {
    return { participantId: this.participantId, name: this.name, pub: this.pub, pubMac: this.pubMac, role: this.role, media: this.media };
  }

  send(frame: RoomServerFrame): void {
    this.peer?.send(frame);
  }
}

function hashEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * One room while someone is in it ([ROOM-*] in docs/protocol/spec.md), on the node serving it:
 * participants, lobby, lock, host role, resume, and each participant's SFU connection. All
 * methods run synchronously on the event loop, so the room's state changes one frame at a time.
 */
export class LiveRoom {
  readonly id: string;
  readonly #opts: LiveRoomOptions;
  readonly #members = new Map<string, Member>();
  #locked = false;
  #lobbyEnabled: boolean;
  #admissions = 0;
  /** SFU leaves still in progress for participants already forgotten. */
  readonly #leaving = new Set<Promise<void>>();

  constructor(opts: LiveRoomOptions) {
    this.#opts = opts;
    this.id = opts.record.roomId;
    this.#lobbyEnabled = opts.record.lobby;
  }

  get #admitted(): Member[] {
    return [...this.#members.values()].filter((m) => m.status === 'admitted');
  }

  get #lobby(): Member[] {
    return [...this.#members.values()].filter((m) => m.status === 'lobby');
  }

  get size(): number {
    return this.#members.size;
  }

  /** [ROOM-3] A join: resume, host, locked, lobby or straight in. Throws a CharlaError to refuse it. */
  join(peer: RoomPeer, frame: JoinFrame): Member {
    const { record } = this.#opts;
    if (!hashEquals(sha256(fromBase64Url(frame.accessKey)), record.accessKeyHash)) {
      throw new CharlaError('ROOM_KEY_MISMATCH', 'the access key does not match this room');
    }
    if (frame.resumeToken !== undefined) {
      const resumed = this.#resume(peer, frame);
      if (resumed) return resumed;
    }
    let role: 'host' | 'guest' = 'guest';
    if (frame.hostToken !== undefined) {
      if (!hashEquals(sha256(fromBase64Url(frame.hostToken)), record.hostTokenHash)) {
        throw new CharlaError('ROOM_KEY_MISMATCH', 'the host token does not match this room');
      }
      role = 'host';
    }
    const admittedCount = this.#admitted.length;
    if (role === 'guest' && this.#locked) throw new CharlaError('ROOM_LOCKED', 'the host locked this room');
    const waits = role === 'guest' && this.#lobbyEnabled;
    if (waits && this.#lobby.length >= MAX_ROOM_LOBBY) throw new CharlaError('ROOM_FULL', 'the lobby is full');
    if (!waits && admittedCount >= MAX_ROOM_PARTICIPANTS) throw new CharlaError('ROOM_FULL', 'the room is full');
    const member = new Member(peer, frame, role);
    this.#members.set(member.participantId, member);
    if (waits) {
      member.send({ t: 'lobby', id: frame.id, participantId: member.participantId });
      this.#toHosts({ t: 'knock', participant: member.participant });
      this.#opts.logger.info({ roomId: this.id, participantId: member.participantId }, 'room: knock');
    } else {
      this.#admit(member, frame.id);
    }
    return member;
  }

  /** [ROOM-10] The same participant again: its id, role and place, a new socket and SFU connection. */
  #resume(peer: RoomPeer, frame: JoinFrame): Member | undefined {
    const tokenHash = sha256(fromBase64Url(frame.resumeToken!));
    const member = [...this.#members.values()].find((m) => m.status === 'admitted' && m.resumeTokenHash !== null && hashEquals(m.resumeTokenHash, tokenHash));
    if (!member) return undefined;
    clearTimeout(member.dropTimer);
    member.dropTimer = undefined;
    const old = member.peer;
    member.peer = peer;
    // A socket the server had not noticed was dead yet.
    old?.close(4000, 'resumed on another connection');
    member.offer?.reject(new Error('resumed'));
    member.offer = null;
    this.#sendJoined(member, frame.id);
    const pending = member.pendingRelays;
    member.pendingRelays = [];
    for (const relay of pending) member.send(relay);
    this.#opts.logger.info({ roomId: this.id, participantId: member.participantId }, 'room: resumed');
    this.#restartMedia(member);
    return member;
  }

  #admit(member: Member, requestId: number | undefined): void {
    member.status = 'admitted';
    member.since = ++this.#admissions;
    this.#sendJoined(member, requestId);
    this.#toAdmitted({ t: 'participantJoined', participant: member.participant }, member);
    this.#opts.logger.info({ roomId: this.id, participantId: member.participantId, role: member.role }, 'room: joined');
    this.#opts.onUsed(this);
    this.#restartMedia(member);
  }

  #sendJoined(member: Member, requestId: number | undefined): void {
    const resumeToken = randomBytes(32);
    member.resumeTokenHash = sha256(resumeToken);
    member.send({
      t: 'joined',
      id: requestId,
      participantId: member.participantId,
      resumeToken: toBase64Url(resumeToken),
      role: member.role,
      locked: this.#locked,
      lobbyEnabled: this.#lobbyEnabled,
      participants: this.#admitted.filter((m) => m !== member).map((m) => m.participant),
      lobby: member.role === 'host' ? this.#lobby.map((m) => m.participant) : [],
    });
  }

  /** Frames of an admitted participant. Returns what to answer a request with (`ok` extras), or throws. */
  handle(member: Member, frame: RoomClientFrame): void {
    switch (frame.t) {
      case 'join':
        throw new BadRequestError('this socket already joined');
      case 'ping':
        return;
      case 'leave':
        this.leave(member, 'left');
        return;
      case 'answer':
        return this.#answer(member, frame);
      case 'state':
        member.media = frame.media;
        this.#toAdmitted({ t: 'participantUpdated', participantId: member.participantId, media: frame.media }, member);
        return;
      case 'view':
        member.view = { ...member.view, ...viewOf(frame) };
        member.sfu?.sfu.setView(member.participantId, viewOf(frame));
        return;
      case 'chat':
        // The sender gets its own message back with the server's timestamp: one order for all.
        this.#toAdmitted({ t: 'chat', from: member.participantId, data: frame.data, ts: Date.now() });
        return;
      case 'relay':
        return this.#relay(member, frame.to, frame.data);
      case 'lock':
      case 'admit':
      case 'refuse':
      case 'remove':
      case 'askMute':
      case 'makeHost':
        if (member.role !== 'host') throw new CharlaError('NOT_HOST', 'only the host may do this');
        return this.#hostAction(member, frame);
    }
  }

  #answer(member: Member, frame: Frame<'answer'>): void {
    const offer = member.offer;
    // The answer to an offer already superseded or past its time (a slow client) is not the
    // answer to the one waiting now. Passed on, the SFU would apply it to the wrong offer: werift
    // takes the m-sections missing from it as rejected and stops them for good, and the next offer
    // reuses their places under new mids, which the browser refuses ("the order of m-lines in
    // subsequent offer doesn't match").
    if (frame.offerId !== undefined && frame.offerId !== offer?.id) {
      this.#opts.logger.debug({ roomId: this.id, participantId: member.participantId, offerId: frame.offerId, waiting: offer?.id }, 'room: stale answer dropped');
      return;
    }
    if (!offer) throw new BadRequestError('no offer is waiting for an answer');
    member.offer = null;
    clearTimeout(offer.timer);
    offer.resolve(frame.sdp);
  }

  #relay(member: Member, to: string, data: string): void {
    const target = this.#members.get(to);
    const reachable = target !== undefined && target !== member && (target.status === 'admitted' || (target.status === 'lobby' && member.role === 'host'));
    if (!reachable) throw new CharlaError('UNKNOWN_PARTICIPANT', 'no such participant in the room');
    const frame: RelayedFrame = { t: 'relay', from: member.participantId, data };
    if (target.peer) target.send(frame);
    else if (target.pendingRelays.length < MAX_PENDING_RELAYS) target.pendingRelays.push(frame);
  }

  #hostAction(host: Member, frame: Frame<'lock' | 'admit' | 'refuse' | 'remove' | 'askMute' | 'makeHost'>): void {
    if (frame.t === 'lock') {
      this.#locked = frame.locked ?? this.#locked;
      this.#lobbyEnabled = frame.lobby ?? this.#lobbyEnabled;
      this.#toAdmitted({ t: 'locked', locked: this.#locked, lobby: this.#lobbyEnabled });
      // Without a lobby (and unlocked) nobody has to wait any more.
      if (!this.#lobbyEnabled && !this.#locked) {
        for (const guest of this.#lobby) {
          if (this.#admitted.length >= MAX_ROOM_PARTICIPANTS) break;
          this.#toHosts({ t: 'lobbyLeft', participantId: guest.participantId });
          this.#admit(guest, undefined);
        }
      }
      return;
    }
    const target = this.#members.get(frame.participantId);
    if (frame.t === 'admit' || frame.t === 'refuse') {
      if (!target || target.status !== 'lobby') throw new CharlaError('UNKNOWN_PARTICIPANT', 'no such guest in the lobby');
      if (frame.t === 'admit') {
        if (this.#admitted.length >= MAX_ROOM_PARTICIPANTS) throw new CharlaError('ROOM_FULL', 'the room is full');
        this.#toHosts({ t: 'lobbyLeft', participantId: target.participantId });
        this.#admit(target, undefined);
      } else {
        this.#toHosts({ t: 'lobbyLeft', participantId: target.participantId });
        target.send({ t: 'refused' });
        this.#forget(target);
        target.peer?.close(1000, 'refused');
        this.#opts.logger.info({ roomId: this.id, participantId: target.participantId }, 'room: refused');
        this.#checkEmpty();
      }
      return;
    }
    if (!target || target.status !== 'admitted') throw new CharlaError('UNKNOWN_PARTICIPANT', 'no such participant in the room');
    switch (frame.t) {
      case 'remove':
        if (target === host) throw new BadRequestError('to leave, send leave');
        target.send({ t: 'removed' });
        target.peer?.close(1000, 'removed');
        this.leave(target, 'removed');
        return;
      case 'askMute':
        target.send({ t: 'muteRequested', by: host.participantId });
        return;
      case 'makeHost':
        if (target.role !== 'host') this.#promote(target);
        return;
    }
  }

  /** [ROOM-8] Hosts are told about a new host; the new host learns who waits in the lobby. */
  #promote(member: Member): void {
    member.role = 'host';
    this.#toAdmitted({ t: 'hostChanged', participantId: member.participantId });
    for (const guest of this.#lobby) member.send({ t: 'knock', participant: guest.participant });
    this.#opts.logger.info({ roomId: this.id, participantId: member.participantId }, 'room: new host');
  }

  /** A participant is gone for good (left, removed, or its resume grace ran out). */
  leave(member: Member, reason: 'left' | 'removed' | 'disconnected'): void {
    if (member.status === 'gone') return;
    const wasAdmitted = member.status === 'admitted';
    this.#forget(member);
    if (wasAdmitted) {
      this.#toAdmitted({ t: 'participantLeft', participantId: member.participantId, reason });
      if (member.role === 'host' && !this.#admitted.some((m) => m.role === 'host')) {
        const next = this.#admitted.sort((a, b) => a.since - b.since)[0];
        if (next) this.#promote(next);
      }
    } else {
      this.#toHosts({ t: 'lobbyLeft', participantId: member.participantId });
    }
    this.#opts.logger.info({ roomId: this.id, participantId: member.participantId, reason }, 'room: left');
    this.#checkEmpty();
  }

  /** [ROOM-10] The socket closed without `leave`: a participant keeps its place for the grace period. */
  detach(member: Member, peer: RoomPeer): void {
    if (member.peer !== peer || member.status === 'gone') return;
    member.peer = null;
    member.offer?.reject(new Error('connection closed'));
    member.offer = null;
    if (member.status === 'lobby') {
      this.leave(member, 'left');
      return;
    }
    this.#stopMedia(member);
    member.dropTimer = setTimeout(() => this.leave(member, 'disconnected'), this.#opts.resumeGraceMs);
    member.dropTimer.unref();
  }

  speakers(participantIds: string[]): void {
    const present = participantIds.filter((id) => this.#members.get(id)?.status === 'admitted');
    this.#toAdmitted({ t: 'speakers', participantIds: present });
  }

  /** The SFU lost this participant's media connection: a connected participant gets a new one. */
  mediaLost(participantId: string): void {
    const member = this.#members.get(participantId);
    if (!member || member.status !== 'admitted') return;
    // The SFU already forgot it: nothing to leave.
    member.sfu = null;
    if (member.peer) this.#restartMedia(member);
  }

  /** The server is stopping: close every socket without telling the others. */
  closeAll(code: number, reason: string): void {
    for (const m of this.#members.values()) {
      clearTimeout(m.dropTimer);
      m.offer?.reject(new Error('closing'));
      m.peer?.close(code, reason);
      m.status = 'gone';
    }
    this.#members.clear();
  }

  #forget(member: Member): void {
    member.status = 'gone';
    clearTimeout(member.dropTimer);
    member.offer?.reject(new Error('left'));
    member.offer = null;
    member.pendingRelays = [];
    this.#members.delete(member.participantId);
    this.#stopMedia(member);
  }

  #checkEmpty(): void {
    if (this.#members.size === 0) this.#opts.onEmpty(this);
  }

  // --- media ([ROOM-6]) ---------------------------------------------------------------------

  #restartMedia(member: Member): void {
    this.#stopMedia(member);
    member.media$ = member.media$.then(async () => {
      if (member.status !== 'admitted' || member.peer === null) return;
      const pooled = await this.#opts.pool.assign(this.id).catch((error: unknown) => {
        this.#opts.logger.error({ err: error, roomId: this.id }, 'room: no SFU');
        return undefined;
      });
      if (member.status !== 'admitted' || member.peer === null || member.sfu !== null) return;
      if (!pooled) {
        // Remote SFUs configured but none reachable right now: try again while the participant stays.
        if (this.#opts.pool.size > 0) setTimeout(() => member.sfu === null && this.#restartMedia(member), MEDIA_RETRY_MS).unref();
        return;
      }
      const session = ++member.mediaSession;
      try {
        pooled.sfu.join(this.id, member.participantId, async (offer) => ({ type: 'answer', sdp: await this.#offer(member, offer.sdp, session) }), viewOf(member.view), { simulcast: member.simulcast });
        member.sfu = pooled;
      } catch (error) {
        this.#opts.logger.error({ err: error, roomId: this.id, participantId: member.participantId, sfu: pooled.name }, 'room: SFU join failed');
      }
    });
  }

  #stopMedia(member: Member): void {
    const done = (member.media$ = member.media$.then(async () => {
      const pooled = member.sfu;
      if (!pooled) return;
      member.sfu = null;
      await pooled.sfu.leave(member.participantId).catch((error: unknown) => {
        this.#opts.logger.warn({ err: error, roomId: this.id, participantId: member.participantId }, 'room: SFU leave failed');
      });
    }));
    this.#leaving.add(done);
    void done.finally(() => this.#leaving.delete(done));
  }

  /** Sends the SFU's offer on the participant's socket; resolves with the next answer's sdp. */
  #offer(member: Member, sdp: string, session: number): Promise<string> {
    return new Promise((resolve, reject) => {
      if (member.peer === null || member.status !== 'admitted') {
        reject(new Error('participant not connected'));
        return;
      }
      member.offer?.reject(new Error('superseded by a new offer'));
      const id = ++member.offers;
      const timer = setTimeout(() => {
        if (member.offer?.id === id) member.offer = null;
        reject(new Error('no answer in time'));
      }, ANSWER_TIMEOUT_MS);
      timer.unref();
      member.offer = { id, resolve, reject, timer };
      member.send({ t: 'offer', sdp, session, offerId: id });
    });
  }

  /** Waits for the SFU connections of this room to be closed (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.#members.values()].map((m) => m.media$).concat([...this.#leaving]));
  }

  // --- fan-out --------------------------------------------------------------------------------

  #toAdmitted(frame: RoomServerFrame, except?: Member): void {
    for (const m of this.#members.values()) if (m.status === 'admitted' && m !== except) m.send(frame);
  }

  #toHosts(frame: RoomServerFrame): void {
    for (const m of this.#members.values()) if (m.status === 'admitted' && m.role === 'host') m.send(frame);
  }
}

function viewOf(v: View): View {
  const out: View = {};
  if (v.lastN !== undefined) out.lastN = v.lastN;
  if (v.pinned !== undefined) out.pinned = v.pinned;
  if (v.lowQuality !== undefined) out.lowQuality = v.lowQuality;
  return out;
}
