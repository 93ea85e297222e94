import { Avatar } from '../components/avatar.tsx';
import { Icon } from './icons.tsx';
import type { RoomMedia, RoomRole } from './room-api.ts';
import { useRoomI18n } from './room-i18n.ts';
import { VideoView } from './video-view.tsx';

export interface TileModel {
  id: string;
  name: string;
  role: RoomRole;
  media: RoomMedia;
  stream: MediaStream | undefined;
  speaking: boolean;
  local: boolean;
}

/**
 * One person in the call: their video (or their initials when the camera is off), name, and
 * badges for a muted microphone, a camera that is off, the host role. The highlight follows speech.
 */
export function Tile({ tile, big = false, onSelect }: { tile: TileModel; big?: boolean; onSelect?: () => void }) {
  const { t } = useRoomI18n();
  const shown = tile.local ? t('youNamed', { name: tile.name }) : tile.name;
  const showVideo = (tile.media.video || tile.media.screen) && !!tile.stream?.getVideoTracks().length;
  const status = [tile.role === 'host' ? t('host') : '', !tile.media.audio ? t('muted') : '', !tile.media.video && !tile.media.screen ? t('cameraOff') : '', tile.media.screen ? t('sharing') : '', tile.speaking ? t('speaking') : '']
    .filter(Boolean)
    .join(', ');
  const label = status ? `${shown}: ${status}` : shown;
  return (
    <li className={`tile ${tile.speaking ? 'speaking' : ''} ${big ? 'big' : ''} ${tile.media.screen ? 'screen' : ''}`} aria-label={label} data-participant={tile.id}>
      {/* The video element stays mounted while the camera is off, so the remote audio keeps playing. */}
      <VideoView stream={tile.stream} local={tile.local && !tile.media.screen} className={showVideo ? 'tile-video' : 'tile-video hidden'} label={tile.media.screen ? t('screenOf', { name: tile.name }) : t('videoOf', { name: tile.name })} />
      {!showVideo && (
        <div className="tile-avatar">
          <Avatar name={tile.name} size={big ? 112 : 64} />
        </div>
      )}
      <div className="tile-label">
        {tile.role === 'host' && (
          <span className="tile-badge" title={t('host')}>
            <Icon name="crown" size={16} />
          </span>
        )}
        <span className="tile-name">{shown}</span>
        {!tile.media.audio && (
          <span className="tile-badge off" title={t('muted')}>
            <Icon name="micOff" size={16} />
          </span>
        )}
        {!tile.media.video && !tile.media.screen && (
          <span className="tile-badge off" title={t('cameraOff')}>
            <Icon name="camOff" size={16} />
          </span>
        )}
      </div>
      {onSelect && !big && <button type="button" className="tile-select" aria-label={t('showBig', { name: shown })} onClick={onSelect} />}
    </li>
  );
}
