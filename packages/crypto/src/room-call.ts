import { utf8 } from './bytes.ts';
import { exportSecret, groupEpoch, type GroupState } from './mls-state.ts';
import { CryptoError } from './errors.ts';

/** The MLS exporter label of call secrets ([CONTENT-11]). */
export const CALL_EXPORTER_LABEL = 'charla call v1';

/**
 * [CONTENT-11] The link secret of a room started from a chat: the group's MLS exporter secret at
 * the state's epoch, bound to the call message's id, so each call has its own room key and only
 * members of the group at that epoch can compute it.
 */
export async function callRoomSecret(state: GroupState, callMessageId: string, epoch: number): Promise<Uint8Array> {
  if (groupEpoch(state) !== epoch) throw new CryptoError('the call was started in another epoch of this group', { code: 'wrong_epoch' });
  if (!callMessageId) throw new CryptoError('a call needs its message id');
  return exportSecret(state, CALL_EXPORTER_LABEL, utf8(callMessageId), 32);
}
