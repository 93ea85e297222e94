import { toBase64Url } from '@charla/protocol';
import { HttpApi, newRoomSecret, roomAccessKey, roomLink } from '@charla/sdk';
import type { Command } from './context.ts';
import { emit } from './output.ts';

export const roomCommands: Command[] = [
  {
    name: 'room create',
    usage: 'charla room create [--lobby]',
    summary: 'create a video room: prints the link to share (anyone with it joins from a browser, no account) and your host link',
    options: { lobby: { type: 'boolean', description: 'guests knock and wait in a lobby until a host admits them' } },
    async run(ctx) {
      await ctx.withClient(async (client) => {
        const api = new HttpApi(client.profile.serverUrl, client.profile.token);
        // [ROOM-1] The secret stays in the links' fragment; the server gets only a key derived from it.
        const secret = newRoomSecret();
        const lobby = ctx.values['lobby'] === true;
        const created = await api.call('createRoom', { accessKey: toBase64Url(roomAccessKey(secret)), lobby });
        const { publicUrl } = await api.call('info');
        const link = roomLink(publicUrl, created.roomId, secret);
        const hostLink = roomLink(publicUrl, created.roomId, secret, created.hostToken);
        const human = [
          `Room link (share it): ${link}`,
          `Your host link (keep it to yourself: it admits, locks and removes): ${hostLink}`,
          lobby ? 'Guests wait in the lobby until a host lets them in.' : 'Anyone with the link joins straight away; lock the room or turn on the lobby from the call.',
          `Unused, the room is forgotten after ${new Date(created.expiresAt).toISOString()}.`,
        ].join('\n');
        emit(ctx.io, human, { type: 'room', roomId: created.roomId, link, hostLink, lobby, expiresAt: created.expiresAt });
      });
    },
  },
];
