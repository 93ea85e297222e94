import type { CSSProperties } from 'react';
import { Tile, type TileModel } from './tile.tsx';
import { useRoomI18n } from './room-i18n.ts';

export type Layout = 'grid' | 'speaker';

/** Columns for n tiles: about square, wider than tall, so tiles stay as large as they can. */
export function gridColumns(n: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(n)));
}

/**
 * The people in the call, as an even grid or as one big tile (whoever speaks, shares a screen or
 * was picked) above a strip of the others.
 */
export function Stage({ layout, tiles, mainId, onPick }: { layout: Layout; tiles: TileModel[]; mainId: string | undefined; onPick: (id: string) => void }) {
  const { t } = useRoomI18n();
  if (layout === 'grid' || tiles.length < 2) {
    const cols = gridColumns(tiles.length);
    // A phone held upright stacks two people and pairs more, scrolling past a screenful.
    const phoneCols = tiles.length <= 2 ? 1 : 2;
    const vars = { '--cols': cols, '--rows': Math.ceil(tiles.length / cols), '--pcols': phoneCols, '--prows': Math.ceil(tiles.length / phoneCols) };
    return (
      <ul className="stage grid" aria-label={t('participants')} style={vars as CSSProperties}>
        {tiles.map((tile) => (
          <Tile key={tile.id} tile={tile} />
        ))}
      </ul>
    );
  }
  const main = tiles.find((x) => x.id === mainId) ?? tiles[0]!;
  return (
    <div className="stage speaker">
      <ul className="speaker-main" aria-label={t('speakerView')}>
        <Tile tile={main} big />
      </ul>
      <ul className="strip" aria-label={t('participants')}>
        {tiles
          .filter((x) => x.id !== main.id)
          .map((tile) => (
            <Tile key={tile.id} tile={tile} onSelect={() => onPick(tile.id)} />
          ))}
      </ul>
    </div>
  );
}
