// snoopy's message is whatever `message_format` says, but every format in use (2.4's and 2.5's
// defaults, most custom ones) is `[key:value key:value ...]: cmdline`. So the bracket is read
// generically: a key is a word followed by `:`, its value runs to the next ` word:` or to the
// `]: ` that closes the bracket, and parentheses group (`ssh:(127.0.0.1 51004 127.0.0.1 22)`,
// `tty:(none) ((none)/(none))` keep their spaces). Values are free text, so `]: ` can also be
// part of the last value (a cwd named `a]: b`) or of the command line: see closeCandidates.

export interface Bracket {
  /** key → raw value, in format order */
  fields: Record<string, string>;
  /** index of the command line (just past `]: `) */
  cmdStart: number;
}

// Field maps get a prototype without Object.prototype, so a key named "__proto__" is plain data,
// while objects keep V8's fast hidden classes (Object.create(null) starts in dictionary mode).
const FieldMap = function FieldMap(this: object) {} as unknown as { new (): Record<string, string> };
FieldMap.prototype = Object.create(null);

const isKeyStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isKeyChar = (c: number) => isKeyStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;

/** If a key (`word:`) starts at i, the index of its colon; else -1. */
function keyAt(s: string, i: number): number {
  if (!isKeyStart(s.charCodeAt(i))) return -1;
  let j = i + 1;
  while (j < s.length && isKeyChar(s.charCodeAt(j))) j++;
  return s.charCodeAt(j) === 58 /* : */ ? j : -1;
}

const isClose = (s: string, j: number) => s.charCodeAt(j) === 93 && s.charCodeAt(j + 1) === 58 && s.charCodeAt(j + 2) === 32;

/**
 * Parses the bracket starting at `start` (which holds `[`). When the last value could end at
 * several `]: `, `pickClose` chooses among the candidate values (index), or returns -1 to leave
 * it to the shape of the command line. Undefined when this is no bracket.
 */
export function parseBracket(s: string, start: number, pickClose: (key: string, candidates: string[]) => number): Bracket | undefined {
  if (s.charCodeAt(start) !== 91 /* [ */) return undefined;
  const fields = new FieldMap();
  let i = start + 1;
  while (i < s.length) {
    const colon = keyAt(s, i);
    if (colon < 0) return undefined;
    const key = s.slice(i, colon);
    const vStart = colon + 1;
    const end = scanValue(s, vStart, true) ?? scanValue(s, vStart, false);
    if (!end) return undefined;
    if (end.close) {
      // The value ends the bracket. A later `]: ` could be the real end (cwd containing "]: ").
      let at = end.at;
      const more: number[] = [];
      for (let k = s.indexOf(']: ', at + 3); k !== -1; k = s.indexOf(']: ', k + 3)) more.push(k);
      if (more.length) {
        const closes = [at, ...more];
        let pick = pickClose(
          key,
          closes.map((k) => s.slice(vStart, k)),
        );
        if (pick < 0) {
          // Nothing known to exist: a command line whose first word would run into the next
          // `]: ` ("ird]: ls" after a cwd "/tmp/we]: ird") means that `]: ` ended the bracket.
          pick = 0;
          while (pick + 1 < closes.length && s.indexOf(' ', closes[pick] + 3) > closes[pick + 1]) pick++;
        }
        at = closes[pick];
      }
      fields[key] = s.slice(vStart, at);
      return { fields, cmdStart: at + 3 };
    }
    fields[key] = s.slice(vStart, end.at);
    i = end.at + 1;
  }
  return undefined;
}

/** Where the value starting at i ends: before ` key:` (close false) or at `]: ` (close true). */
function scanValue(s: string, i: number, parens: boolean): { at: number; close: boolean } | undefined {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (parens && c === 40) depth++;
    else if (parens && c === 41) {
      if (depth > 0) depth--;
    } else if (depth === 0) {
      if (c === 32 && keyAt(s, j + 1) !== -1) return { at: j, close: false };
      if (c === 93 && isClose(s, j)) return { at: j, close: true };
    }
  }
  // Unbalanced parentheses (a cwd with a lone "(") hide the end: the caller retries without them.
  return undefined;
}
