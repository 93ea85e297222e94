/**
 * The shape of the SDK's RoomSession as the room screens use it. Type-only: the screens are written
 * against this until @charla/sdk exports the real class, which must satisfy it (room-app.tsx
 * assigns one to the other, so a mismatch is a compile error, not a runtime surprise).
 */
export type RoomState = 'connecting' | 'lobby' | 'joined' | 'reconnecting' | 'left' | 'removed' | 'refused' | 'locked-out';
export type RoomRole = 'host' | 'guest';
export type Quality = 'good' | 'fair' | 'poor';

export interface RoomMedia {
  audio: boolean;
  video: boolean;
  screen: boolean;
}

export interface RoomPeer {
  participantId: string;
  name: string;
  role: RoomRole;
  media: RoomMedia;
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

export interface RoomEvents {
  change: () => void;
  chat: (message: RoomChatMessage) => void;
  speakers: (participantIds: string[]) => void;
  muteRequested: (by: string) => void;
  error: (error: unknown) => void;
}

export interface RoomView {
  lastN?: number;
  pinned?: string[];
  lowQuality?: boolean;
}

export interface RoomSessionLike {
  readonly state: RoomState;
  readonly me: { participantId: string; role: RoomRole; name: string };
  readonly locked: boolean;
  readonly lobbyEnabled: boolean;
  readonly localStream: MediaStream | undefined;
  /** My own microphone, camera and screen as the others see them. */
  readonly media: RoomMedia;
  participants(): RoomPeer[];
  lobby(): RoomPeer[];
  chat(): RoomChatMessage[];
  setAudio(on: boolean): void | Promise<void>;
  setVideo(on: boolean): void | Promise<void>;
  startScreenShare(): Promise<void>;
  stopScreenShare(): void | Promise<void>;
  sendChat(text: string): Promise<void>;
  lock(on: boolean): Promise<void>;
  setLobby(on: boolean): Promise<void>;
  admit(participantId: string): Promise<void>;
  refuse(participantId: string): Promise<void>;
  remove(participantId: string): Promise<void>;
  askMute(participantId: string): Promise<void>;
  makeHost(participantId: string): Promise<void>;
  setView(view: RoomView): void;
  quality(): Promise<Quality>;
  leave(): Promise<void> | void;
  on<E extends keyof RoomEvents>(event: E, fn: RoomEvents[E]): unknown;
  off<E extends keyof RoomEvents>(event: E, fn: RoomEvents[E]): unknown;
}

export interface RoomJoinOptions {
  serverUrl: string;
  roomId: string;
  secret: string;
  hostToken?: string;
  name: string;
  localStream?: MediaStream;
}

export type JoinRoom = (options: RoomJoinOptions) => Promise<RoomSessionLike>;
