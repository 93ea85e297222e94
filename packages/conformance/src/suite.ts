import type { Case } from './case.ts';
import { accountCases } from './cases/accounts.ts';
import { blobCases } from './cases/blobs.ts';
import { deviceCases } from './cases/devices.ts';
import { fuzzCases } from './cases/fuzz.ts';
import { groupCases } from './cases/groups.ts';
import { keyPackageCases } from './cases/key-packages.ts';
import { sendCases, sendMoreCases } from './cases/send-delivery.ts';
import { roomCases } from './cases/rooms.ts';
import { transportCases } from './cases/transport.ts';

/** Every case, in run order. The fuzz case runs last: a server it breaks fails only itself. */
export const ALL_CASES: readonly Case[] = [
  ...accountCases,
  ...deviceCases,
  ...keyPackageCases,
  ...groupCases,
  ...sendCases,
  ...sendMoreCases,
  ...blobCases,
  ...transportCases,
  ...roomCases,
  ...fuzzCases,
];

/** A case's unique name: its rule and title. */
export function caseName(c: Pick<Case, 'rule' | 'title'>): string {
  return `${c.rule} ${c.title}`;
}
