import { left, nodeWidth, parent, right, root, sibling, toNodeIndex } from 'ts-mls/treemath.js';

export interface TreeMath {
  nNodes: number;
  root: number;
  left: (number | null)[];
  right: (number | null)[];
  parent: (number | null)[];
  sibling: (number | null)[];
}

/** RFC 9420 §4 array-based tree math for a tree of `nLeaves` leaves; null where a relation does not exist. */
export function treeMath(nLeaves: number): TreeMath {
  const width = nodeWidth(nLeaves);
  const r = root(nLeaves);
  const out: TreeMath = { nNodes: width, root: r, left: [], right: [], parent: [], sibling: [] };
  for (let i = 0; i < width; i++) {
    const x = toNodeIndex(i);
    const isLeaf = i % 2 === 0;
    out.left.push(isLeaf ? null : left(x));
    out.right.push(isLeaf ? null : right(x));
    out.parent.push(x === r ? null : parent(x, nLeaves));
    out.sibling.push(x === r ? null : sibling(x, nLeaves));
  }
  return out;
}
