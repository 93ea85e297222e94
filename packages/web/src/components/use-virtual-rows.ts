import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';

interface Options {
  /** One stable key per row, in display order. */
  keys: readonly string[];
  /** The scrolling element that holds the rows (and the two spacers). */
  scrollRef: RefObject<HTMLElement | null>;
  /** Height guessed for a row not yet measured, px. */
  estimate: number;
  /** Rows rendered beyond each edge of the viewport, so fast scrolling and arrow keys find them. */
  overscan?: number;
  /** Start at the bottom and stay there while the view is at the bottom (a chat timeline). */
  stickToBottom?: boolean;
}

export interface VirtualRows {
  start: number;
  end: number;
  /** Heights of the spacers standing in for the rows before `start` and after `end`, px. */
  before: number;
  after: number;
  /** Ref callback for the element of the row with `key`: its height is measured while it is mounted. */
  measure: (key: string) => (el: HTMLElement | null) => void;
  scrollToIndex: (index: number) => void;
  scrollToBottom: () => void;
}

const AT_BOTTOM_PX = 48;

/**
 * Windowed rendering for long lists with rows of varying height: only the rows in view plus
 * `overscan` are in the DOM, between two spacers that keep the scroll height right. Heights are
 * measured with a ResizeObserver and remembered by key; when a row above the viewport changes
 * height the scroll position is corrected by the same amount, so what is on screen does not jump
 * (the list sets `overflow-anchor: none` so the browser does not correct it a second time).
 */
export function useVirtualRows({ keys, scrollRef, estimate, overscan = 8, stickToBottom = false }: Options): VirtualRows {
  const sizes = useRef(new Map<string, number>());
  const elements = useRef(new Map<string, HTMLElement>());
  const atBottom = useRef(stickToBottom);
  const [version, setVersion] = useState(0);
  const [view, setView] = useState({ top: 0, height: 0, gap: 0 });

  const offsets = useMemo(() => {
    const out = new Float64Array(keys.length + 1);
    for (let i = 0; i < keys.length; i++) out[i + 1] = out[i]! + (sizes.current.get(keys[i]!) ?? estimate) + view.gap;
    return out;
    // `version` changes when a measured size does.
  }, [keys, estimate, version, view.gap]);

  const total = offsets[keys.length]!;
  // Before the first scroll event the window is computed from where the list will be.
  const top = atBottom.current ? Math.max(0, total - view.height) : view.top;
  const height = view.height || 800;
  const start = Math.max(0, firstAfter(offsets, top) - 1 - overscan);
  const end = Math.min(keys.length, firstAfter(offsets, top + height) + overscan);
  const before = start > 0 ? Math.max(0, offsets[start]! - view.gap) : 0;
  const after = end < keys.length ? Math.max(0, total - offsets[end]! - view.gap) : 0;

  const observer = useRef<ResizeObserver | null>(null);
  useEffect(() => {
    const ro = new ResizeObserver((entries) => {
      const el = scrollRef.current;
      let changed = false;
      let shift = 0;
      const viewTop = el?.getBoundingClientRect().top ?? 0;
      for (const entry of entries) {
        const target = entry.target as HTMLElement;
        const key = target.dataset['vkey'];
        if (key === undefined || !target.isConnected) continue;
        // Margins (day separators have some) take space between rows as much as the box does.
        const style = getComputedStyle(target);
        const h = (entry.borderBoxSize[0]?.blockSize ?? target.getBoundingClientRect().height) + parseFloat(style.marginTop) + parseFloat(style.marginBottom);
        const old = sizes.current.get(key) ?? estimate;
        if (Math.abs(h - old) < 0.5 && sizes.current.has(key)) continue;
        sizes.current.set(key, h);
        changed = true;
        if (target.getBoundingClientRect().top < viewTop) shift += h - old;
      }
      if (!changed) return;
      if (el) {
        if (atBottom.current) el.scrollTop = el.scrollHeight;
        else if (shift !== 0) el.scrollTop += shift;
      }
      setVersion((v) => v + 1);
    });
    observer.current = ro;
    for (const el of elements.current.values()) ro.observe(el);
    return () => ro.disconnect();
  }, [scrollRef, estimate]);

  const refs = useRef(new Map<string, (el: HTMLElement | null) => void>());
  const measure = useCallback((key: string) => {
    let ref = refs.current.get(key);
    if (!ref) {
      ref = (el) => {
        const old = elements.current.get(key);
        if (old && old !== el) {
          observer.current?.unobserve(old);
          elements.current.delete(key);
        }
        if (el) {
          el.dataset['vkey'] = key;
          elements.current.set(key, el);
          observer.current?.observe(el);
        } else refs.current.delete(key);
      };
      refs.current.set(key, ref);
    }
    return ref;
  }, []);

  // Scroll position and viewport height drive the window; the gap is the list's CSS row gap.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const read = (): void => {
      if (stickToBottom) atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight <= AT_BOTTOM_PX;
      const gap = parseFloat(getComputedStyle(el).rowGap) || 0;
      setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight && v.gap === gap ? v : { top: el.scrollTop, height: el.clientHeight, gap }));
    };
    read();
    el.addEventListener('scroll', read, { passive: true });
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
      read();
    });
    ro.observe(el);
    return () => {
      el.removeEventListener('scroll', read);
      ro.disconnect();
    };
  }, [scrollRef, stickToBottom]);

  // New rows at the end keep a view that was at the bottom at the bottom.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [keys, version, scrollRef]);

  const scrollToIndex = useCallback(
    (index: number) => {
      const el = scrollRef.current;
      if (!el) return;
      atBottom.current = false;
      el.scrollTop = offsets[Math.max(0, Math.min(index, keys.length))]!;
    },
    [offsets, keys.length, scrollRef],
  );
  const scrollToBottom = useCallback(() => {
    const el = scrollRef.current;
    atBottom.current = true;
    if (el) el.scrollTop = el.scrollHeight;
    setVersion((v) => v + 1);
  }, [scrollRef]);

  return { start, end, before, after, measure, scrollToIndex, scrollToBottom };
}

/** The first index i with offsets[i] > y (binary search; offsets ascend). */
function firstAfter(offsets: Float64Array, y: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid]! > y) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
