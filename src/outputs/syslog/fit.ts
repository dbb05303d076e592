// Makes an oversized record fit a message size limit while keeping valid JSON: instead of cutting
// the serialized text (which the receiver could no longer parse), the largest values are
// shortened one at a time and their paths listed in `truncated[]`, like `redacted[]`.

import type { NormalizedRecord } from '../../record.js';

const MARK = '…';
const MAX_ROUNDS = 64;

interface Leaf {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
  path: string;
  size: number;
}

function largestLeaf(node: unknown, path: string, parent: Leaf['parent'] | null, key: string | number, best: Leaf | null): Leaf | null {
  if (typeof node === 'string') {
    if (parent && (!best || node.length > best.size)) return { parent, key, path, size: node.length };
    return best;
  }
  if (Array.isArray(node)) {
    // an array of many small values (argv) counts as one value: shortened by dropping elements
    if (parent && node.length > 1) {
      const size = JSON.stringify(node).length;
      if (!best || size > best.size) best = { parent, key, path, size };
    }
    for (let i = 0; i < node.length; i++) best = largestLeaf(node[i], path, node, i, best);
    return best;
  }
  if (node && typeof node === 'object') {
    for (const k of Object.keys(node)) {
      if (k === 'truncated' && path === '') continue;
      best = largestLeaf((node as Record<string, unknown>)[k], path ? `${path}.${k}` : k, node as Record<string, unknown>, k, best);
    }
  }
  return best;
}

export interface FitResult {
  json: string;
  truncated: string[];
}

/**
 * Returns JSON of a copy of `rec` whose UTF-8 size is at most `budget` bytes, or null when even
 * shortening every large value cannot get there. `json` is the record already serialized.
 */
export function fitJson(json: string, budget: number): FitResult | null {
  if (budget < 64) return null;
  const copy = JSON.parse(json) as NormalizedRecord & { truncated?: string[] };
  const truncated: string[] = [];
  const note = (p: string) => {
    if (!truncated.includes(p)) truncated.push(p);
  };
  // the raw source is the cheapest thing to give up: the parsed fields say the same
  if (copy.event && typeof copy.event.original === 'string') {
    delete copy.event.original;
    note('event.original');
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    copy.truncated = truncated;
    const out = JSON.stringify(copy);
    const over = Buffer.byteLength(out) - budget;
    if (over <= 0) return { json: out, truncated };
    const leaf = largestLeaf(copy, '', null, '', null);
    if (!leaf) return null;
    const value = (leaf.parent as any)[leaf.key];
    if (Array.isArray(value)) {
      const keep = Math.max(1, value.length >> 1);
      value.length = keep;
    } else {
      const s = value as string;
      // cut at least what is over (in UTF-16 units, ≤ bytes) and never below a readable stub;
      // if the stub is all that is left, cut the value harder next round
      let keep = Math.max(0, s.length - over - MARK.length - 8);
      if (keep >= s.length - 1) keep = s.length >> 1;
      // do not split a surrogate pair: JSON would carry a lone surrogate escape
      const c = s.charCodeAt(keep - 1);
      if (keep > 0 && c >= 0xd800 && c <= 0xdbff) keep--;
      (leaf.parent as any)[leaf.key] = s.slice(0, keep) + MARK;
      if (keep === 0 && s.length <= MARK.length + 1) return null;
    }
    note(leaf.path);
  }
  return null;
}
