// Refuses, at config load, regexes that can backtrack catastrophically. JavaScript's engine
// backtracks and cannot be stopped mid-match, so `^(a+)+$` on a 34-character command line a
// user controls would hold the pipeline for a minute. A linear-time engine (RE2) needs a native
// build; instead the pattern is parsed and the shapes that make backtracking exponential are
// rejected, naming the piece of the pattern:
//   - a repeated group whose body ends in (or contains) a repetition that can take the same
//     characters as what comes after it in the body or as the next round: (a+)+, (.*)*, (\w+\s?)*,
//     (a*b*)*; `(?:[^,]*,)*` is fine, the ',' ends each round;
//   - a repeated alternation whose branches can start alike or match nothing: (a|a)*, (a|ab)+;
//   - a backreference to a group that repeats: (a+)\1 (a backreference to `(["'])` is fine).
// Repetitions side by side (\d+\d+) cost polynomial time, not exponential, and pass.
// Character sets are compared by ranges, negated ones too; case-insensitive patterns compare
// letters in both cases.

type Ranges = [number, number][];
/** a character set: the ranges it holds, or (neg) the ranges it does not */
interface CharSet {
  neg: boolean;
  r: Ranges;
}

type Node =
  | { t: 'chars'; set: CharSet }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; alts: Node[]; start: number; end: number }
  | { t: 'group'; body: Node; index: number; look: boolean; start: number; end: number }
  | { t: 'rep'; body: Node; min: number; max: number; start: number; end: number }
  | { t: 'empty' }
  | { t: 'backref'; ref: number | string; start: number; end: number };

const EMPTY: CharSet = { neg: false, r: [] };
const ANY: CharSet = { neg: true, r: [] };
const DIGIT: Ranges = [[48, 57]];
const WORD: Ranges = [
  [48, 57],
  [65, 90],
  [95, 95],
  [97, 122],
];
const SPACE: Ranges = [
  [9, 13],
  [32, 32],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const LINE_ENDS: Ranges = [
  [10, 10],
  [13, 13],
  [0x2028, 0x2029],
];

function rangesMeet(a: Ranges, b: Ranges): boolean {
  for (const [x0, x1] of a) for (const [y0, y1] of b) if (x0 <= y1 && y0 <= x1) return true;
  return false;
}

/** a ⊆ b */
function rangesWithin(a: Ranges, b: Ranges): boolean {
  return a.every(([x0, x1]) => {
    let c = x0;
    // b's ranges that cover x0..x1 in order (b is small: no need to sort-merge first)
    for (let moved = true; moved && c <= x1; ) {
      moved = false;
      for (const [y0, y1] of b)
        if (y0 <= c && c <= y1) {
          c = y1 + 1;
          moved = true;
        }
    }
    return c > x1;
  });
}

function overlaps(a: CharSet, b: CharSet): boolean {
  if (!a.neg && !b.neg) return rangesMeet(a.r, b.r);
  if (a.neg && b.neg) return true;
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  return pos.r.length > 0 && !rangesWithin(pos.r, neg.r);
}

function union(a: CharSet, b: CharSet): CharSet {
  if (!a.neg && !b.neg) return { neg: false, r: [...a.r, ...b.r] };
  if (a.neg && b.neg) return ANY;
  // (not N) ∪ P = not (N minus P): approximated by dropping N's ranges that P touches
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  return { neg: true, r: neg.r.filter((x) => !rangesMeet([x], pos.r)) };
}

/** both cases of ASCII letters, for the i flag */
function caseless(r: Ranges): Ranges {
  const out: Ranges = [...r];
  for (const [a, b] of r) {
    const lo = Math.max(a, 65),
      hi = Math.min(b, 90);
    if (lo <= hi) out.push([lo + 32, hi + 32]);
    const lo2 = Math.max(a, 97),
      hi2 = Math.min(b, 122);
    if (lo2 <= hi2) out.push([lo2 - 32, hi2 - 32]);
  }
  return out;
}

class Parser {
  i = 0;
  groups = 0;
  readonly named = new Map<string, number>();
  constructor(
    private readonly s: string,
    private readonly ci: boolean,
    private readonly dotAll: boolean,
  ) {}

  parse(): Node {
    const n = this.disjunction();
    if (this.i < this.s.length) throw new Error(`unexpected '${this.s[this.i]}'`);
    return n;
  }

  private disjunction(): Node {
    const start = this.i;
    const alts = [this.alternative()];
    while (this.s[this.i] === '|') {
      this.i++;
      alts.push(this.alternative());
    }
    return alts.length === 1 ? alts[0] : { t: 'alt', alts, start, end: this.i };
  }

  private alternative(): Node {
    const items: Node[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const start = this.i;
      const atom = this.atom();
      items.push(this.quantified(atom, start));
    }
    return items.length === 1 ? items[0] : { t: 'seq', items };
  }

  private quantified(atom: Node, start: number): Node {
    const s = this.s;
    let min: number, max: number;
    const c = s[this.i];
    if (c === '*') {
      min = 0;
      max = Infinity;
      this.i++;
    } else if (c === '+') {
      min = 1;
      max = Infinity;
      this.i++;
    } else if (c === '?') {
      min = 0;
      max = 1;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.i));
      if (!m) return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length;
    } else return atom;
    if (s[this.i] === '?') this.i++; // lazy: same paths, other order
    return { t: 'rep', body: atom, min, max, start, end: this.i };
  }

  private atom(): Node {
    const s = this.s;
    const c = s[this.i];
    if (c === '^' || c === '$') {
      this.i++;
      return { t: 'empty' };
    }
    if (c === '.') {
      this.i++;
      return { t: 'chars', set: this.dotAll ? ANY : { neg: true, r: LINE_ENDS } };
    }
    if (c === '[') return { t: 'chars', set: this.klass() };
    if (c === '(') return this.group();
    if (c === '\\') return this.escape();
    this.i++;
    return { t: 'chars', set: this.one(s.codePointAt(this.i - 1)!) };
  }

  private one(cp: number): CharSet {
    return { neg: false, r: this.ci ? caseless([[cp, cp]]) : [[cp, cp]] };
  }

  private group(): Node {
    const s = this.s;
    const start = this.i;
    this.i++;
    let look = false;
    let index = 0;
    if (s[this.i] === '?') {
      const rest = s.slice(this.i, this.i + 3);
      if (rest.startsWith('?:')) this.i += 2;
      else if (rest.startsWith('?=') || rest.startsWith('?!')) {
        this.i += 2;
        look = true;
      } else if (rest === '?<=' || rest === '?<!') {
        this.i += 3;
        look = true;
      } else if (rest.startsWith('?<')) {
        const close = s.indexOf('>', this.i);
        if (close < 0) throw new Error('unterminated group name');
        index = ++this.groups;
        this.named.set(s.slice(this.i + 2, close), index);
        this.i = close + 1;
      } else throw new Error('unknown group');
    } else index = ++this.groups;
    const body = this.disjunction();
    if (s[this.i] !== ')') throw new Error('unterminated group');
    this.i++;
    return { t: 'group', body, index, look, start, end: this.i };
  }

  private escape(): Node {
    const s = this.s;
    const start = this.i;
    const c = s[this.i + 1];
    this.i += 2;
    switch (c) {
      case 'b':
      case 'B':
        return { t: 'empty' };
      case 'k': {
        const close = s.indexOf('>', this.i);
        const name = s.slice(this.i + 1, close);
        this.i = close + 1;
        return { t: 'backref', ref: name, start, end: this.i };
      }
    }
    if (c >= '1' && c <= '9') {
      let j = this.i;
      while (j < s.length && s[j] >= '0' && s[j] <= '9') j++;
      const ref = Number(s.slice(this.i - 1, j));
      this.i = j;
      return { t: 'backref', ref, start, end: this.i };
    }
    return { t: 'chars', set: this.escapeSet(c) };
  }

  /** the set of one escape (after the backslash), the index already past it */
  private escapeSet(c: string): CharSet {
    switch (c) {
      case 'd':
        return { neg: false, r: DIGIT };
      case 'D':
        return { neg: true, r: DIGIT };
      case 'w':
        return { neg: false, r: WORD };
      case 'W':
        return { neg: true, r: WORD };
      case 's':
        return { neg: false, r: SPACE };
      case 'S':
        return { neg: true, r: SPACE };
      case 'n':
        return this.one(10);
      case 'r':
        return this.one(13);
      case 't':
        return this.one(9);
      case 'f':
        return this.one(12);
      case 'v':
        return this.one(11);
      case '0':
        return this.one(0);
      case 'x':
      case 'u': {
        const m = c === 'x' ? /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i)) : /^(?:\{[0-9a-fA-F]+\}|[0-9a-fA-F]{4})/.exec(this.s.slice(this.i));
        if (!m) return this.one(c.charCodeAt(0));
        this.i += m[0].length;
        return this.one(parseInt(m[0].replace(/[{}]/g, ''), 16));
      }
      case 'p':
      case 'P': {
        // \p{...}: a Unicode property; taken as anything (the safe side: it can overlap)
        const close = this.s.indexOf('}', this.i);
        if (close > 0) this.i = close + 1;
        return ANY;
      }
      case 'c':
        this.i++;
        return ANY;
      default:
        return this.one(c.codePointAt(0)!);
    }
  }

  private klass(): CharSet {
    const s = this.s;
    this.i++;
    let neg = false;
    if (s[this.i] === '^') {
      neg = true;
      this.i++;
    }
    let set: CharSet = EMPTY;
    let first = true;
    while (this.i < s.length && (s[this.i] !== ']' || first)) {
      first = false;
      let lo: CharSet;
      if (s[this.i] === '\\') {
        const c = s[this.i + 1];
        this.i += 2;
        lo = c === 'b' ? this.one(8) : this.escapeSet(c);
      } else {
        lo = this.one(s.codePointAt(this.i)!);
        this.i += s.codePointAt(this.i)! > 0xffff ? 2 : 1;
      }
      // a-z
      if (s[this.i] === '-' && s[this.i + 1] !== ']' && this.i + 1 < s.length && !lo.neg && lo.r.length >= 1) {
        this.i++;
        let hiCp: number;
        if (s[this.i] === '\\') {
          const hi = this.escapeSet(s[this.i + 1]);
          this.i += 2;
          hiCp = hi.r[0]?.[1] ?? lo.r[0][0];
        } else {
          hiCp = s.codePointAt(this.i)!;
          this.i += hiCp > 0xffff ? 2 : 1;
        }
        const r: Ranges = [[lo.r[0][0], hiCp]];
        lo = { neg: false, r: this.ci ? caseless(r) : r };
      }
      set = union(set, lo);
    }
    if (s[this.i] !== ']') throw new Error('unterminated character class');
    this.i++;
    if (!neg) return set;
    return set.neg ? EMPTY : { neg: true, r: set.r };
  }
}

function nullable(n: Node): boolean {
  switch (n.t) {
    case 'chars':
      return false;
    case 'empty':
    case 'backref':
      return true;
    case 'seq':
      return n.items.every(nullable);
    case 'alt':
      return n.alts.some(nullable);
    case 'group':
      return n.look || nullable(n.body);
    case 'rep':
      return n.min === 0 || nullable(n.body);
  }
}

/** the characters a non-empty match can start with */
function first(n: Node): CharSet {
  switch (n.t) {
    case 'chars':
      return n.set;
    case 'empty':
      return EMPTY;
    case 'backref':
      return ANY;
    case 'group':
      return n.look ? EMPTY : first(n.body);
    case 'rep':
      return first(n.body);
    case 'alt':
      return n.alts.reduce((acc, a) => union(acc, first(a)), EMPTY);
    case 'seq': {
      let acc = EMPTY;
      for (const it of n.items) {
        acc = union(acc, first(it));
        if (!nullable(it)) break;
      }
      return acc;
    }
  }
}

/** every character any match can hold */
function chars(n: Node): CharSet {
  switch (n.t) {
    case 'chars':
      return n.set;
    case 'empty':
      return EMPTY;
    case 'backref':
      return ANY;
    case 'group':
      return n.look ? EMPTY : chars(n.body);
    case 'rep':
      return chars(n.body);
    case 'alt':
      return n.alts.reduce((acc, a) => union(acc, chars(a)), EMPTY);
    case 'seq':
      return n.items.reduce((acc, a) => union(acc, chars(a)), EMPTY);
  }
}

const unwrap = (n: Node): Node => (n.t === 'group' && !n.look ? unwrap(n.body) : n);

/**
 * Inside one round of a repeated body: a repetition whose characters can also be taken by what
 * follows it (`follow`: the rest of the round, else the next round) splits the input in
 * exponentially many ways. Returns the offending repetition.
 */
function ambiguousRepeat(n: Node, follow: CharSet): Node | undefined {
  switch (n.t) {
    case 'rep':
      // a count that can vary (a+, a?, a{1,3}; not a{2}) is a choice the engine can revisit
      if (n.max > n.min && overlaps(chars(n.body), follow)) return n;
      return ambiguousRepeat(n.body, n.max > 1 ? union(follow, first(n.body)) : follow);
    case 'group':
      return n.look ? undefined : ambiguousRepeat(n.body, follow);
    case 'alt':
      for (const a of n.alts) {
        const r = ambiguousRepeat(a, follow);
        if (r) return r;
      }
      return undefined;
    case 'seq': {
      for (let k = 0; k < n.items.length; k++) {
        // what can come right after item k: the next items while they can be empty, then `follow`
        let f = EMPTY;
        let rest = true;
        for (let j = k + 1; j < n.items.length; j++) {
          f = union(f, first(n.items[j]));
          if (!nullable(n.items[j])) {
            rest = false;
            break;
          }
        }
        if (rest) f = union(f, follow);
        const r = ambiguousRepeat(n.items[k], f);
        if (r) return r;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function hasRepeat(n: Node): boolean {
  switch (n.t) {
    case 'rep':
      return n.max > 1 || hasRepeat(n.body);
    case 'group':
      return hasRepeat(n.body);
    case 'alt':
      return n.alts.some(hasRepeat);
    case 'seq':
      return n.items.some(hasRepeat);
    default:
      return false;
  }
}

/** The first dangerous piece of the tree, as [start, end) in the source. */
function findDanger(root: Node, groupsByIndex: Map<number, Node>, named: Map<string, number>): [number, number, string] | undefined {
  let found: [number, number, string] | undefined;
  const visit = (n: Node): void => {
    if (found) return;
    switch (n.t) {
      case 'rep': {
        if (n.max > 1) {
          const body = unwrap(n.body);
          if (body.t === 'alt') {
            for (let a = 0; a < body.alts.length && !found; a++) {
              if (nullable(body.alts[a])) found = [n.start, n.end, 'a branch that can match nothing, repeated'];
              for (let b = a + 1; b < body.alts.length && !found; b++) {
                if (overlaps(first(body.alts[a]), first(body.alts[b]))) found = [n.start, n.end, 'repeated branches that can start alike'];
              }
            }
          }
          if (!found) {
            const inner = ambiguousRepeat(n.body, first(n.body));
            if (inner !== undefined) found = [n.start, n.end, 'a repetition inside a repetition'];
          }
        }
        visit(n.body);
        return;
      }
      case 'group':
        visit(n.body);
        return;
      case 'alt':
        n.alts.forEach(visit);
        return;
      case 'seq':
        n.items.forEach(visit);
        return;
      case 'backref': {
        const idx = typeof n.ref === 'number' ? n.ref : named.get(n.ref);
        const g = idx === undefined ? undefined : groupsByIndex.get(idx);
        if (g === undefined || hasRepeat(g)) found = [n.start, n.end, 'a backreference to a repeating group'];
        return;
      }
      default:
    }
  };
  visit(root);
  return found;
}

function collectGroups(n: Node, out: Map<number, Node>): void {
  switch (n.t) {
    case 'group':
      if (n.index > 0) out.set(n.index, n);
      collectGroups(n.body, out);
      return;
    case 'rep':
      collectGroups(n.body, out);
      return;
    case 'alt':
      n.alts.forEach((a) => collectGroups(a, out));
      return;
    case 'seq':
      n.items.forEach((a) => collectGroups(a, out));
      return;
    default:
  }
}

/**
 * Why the pattern can backtrack catastrophically (`regex can backtrack catastrophically ((a+)+)`),
 * or undefined when it cannot. The pattern must already compile as a RegExp.
 */
export function catastrophicBacktracking(pattern: string, flags = ''): string | undefined {
  let root: Node;
  const p = new Parser(pattern, flags.includes('i'), flags.includes('s'));
  try {
    root = p.parse();
  } catch (err) {
    // valid for V8 but not for this reader (a syntax it does not know): refuse rather than guess
    return `regex uses syntax the safety check cannot read (${(err as Error).message}); simplify it`;
  }
  const groups = new Map<number, Node>();
  collectGroups(root, groups);
  const d = findDanger(root, groups, p.named);
  if (d === undefined) return undefined;
  return `regex can backtrack catastrophically (${pattern.slice(d[0], d[1])}): ${d[2]}`;
}
