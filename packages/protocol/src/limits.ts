/** Default limits. A server publishes the ones in force at GET /v1/info. */
export const DEFAULT_LIMITS = {
  /** Largest WebSocket frame, header and body together. */
  maxFrameBytes: 1_048_576,
  /** Largest MLS message (application message, commit, welcome) carried in a frame. */
  maxMessageBytes: 262_144,
  /** Largest attachment blob. */
  maxBlobBytes: 104_857_600,
  /** Most key packages one device may hold on the server. */
  maxKeyPackages: 200,
  /** Most key packages in one upload. */
  maxKeyPackagesPerUpload: 100,
  /** Frames per second a device may send on its WebSocket, sustained. */
  framesPerSecond: 200,
  /** Burst of frames above the sustained rate. */
  frameBurst: 400,
  /** Most members (devices) in a group. */
  maxGroupDevices: 1000,
} as const;

export type Limits = { [K in keyof typeof DEFAULT_LIMITS]: number };
