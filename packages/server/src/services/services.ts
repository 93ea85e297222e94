import type { DeviceLinksService } from './device-links.ts';
import type { AccountsService } from './accounts.ts';
import type { DevicesService } from './devices.ts';
import type { KeyPackagesService } from './keypackages.ts';
import type { GroupsService } from './groups.ts';
import type { DeliveryHub } from './delivery.ts';
import type { BlobsService } from './blobs.ts';
import type { ServiceContext } from './context.ts';
import type { AckBuffer } from './ack-buffer.ts';
import type { RoomsService } from '../rooms/rooms-service.ts';

/** Everything the API layer may call. */
export interface Services {
  readonly ctx: ServiceContext;
  readonly accounts: AccountsService;
  readonly devices: DevicesService;
  readonly keyPackages: KeyPackagesService;
  readonly groups: GroupsService;
  readonly hub: DeliveryHub;
  /** Acked cursors and last-seen times waiting for their batched write. */
  readonly acks: AckBuffer;
  readonly blobs: BlobsService;
  readonly deviceLinks: DeviceLinksService;
  /** Room records ([ROOM-*]); live rooms are in the RoomGateway. */
  readonly rooms: RoomsService;
}
