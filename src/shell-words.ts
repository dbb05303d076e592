// A command line read the way a POSIX shell splits it into words: blanks separate words, '...'
// and "..." and $'...' quote, a backslash escapes, `$(...)` and backticks stay inside their word,
// and operators (| || && ; & ( ) newline, redirections) are words of their own. No expansion
// happens. Each word keeps where its characters came from in the line, so whatever is found in a
// word's value (a password after -p) can be cut out of the line itself, quotes and all.
//
// Used for the argv of snoopy and bash records (process.args) and by the redactor on any text:
// one tokenizer, so the args and the command line are always redacted alike.

export const enum WordKind {
  Word,
  /** | || && ; ;; & |& ( ) newline: ends a simple command */
  Control,
  /** < > >> << <<< >& <& &> >| with its fd: the next word is a file, a fd or a here-doc end */
  Redirect,
}

export interface ShellWord {
  kind: WordKind;
  /** the word as the program receives it (quotes removed, escapes resolved) */
  value: string;
  /** where the word starts and ends in the line */
  start: number;
  end: number;
  /**
   * map[i] = position in the line of value[i]; undefined when the value is the line's slice
   * start..end as it stands (no quote or escape in the word), by far the most common word.
   */
  map?: number[];
  /** `$(...)` and backtick bodies inside the value, as [start, end) pairs in value positions */
  subs?: number[];
}

const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 11 || c === 12;
/** characters that end an unquoted word */
const isMeta = (c: number): boolean =>
  c === 32 ||
  c === 9 ||
  c === 10 ||
  c === 13 ||
  c === 11 ||
  c === 12 ||
  c === 124 /* | */ ||
  c === 38 /* & */ ||
  c === 59 /* ; */ ||
  c === 40 /* ( */ ||
  c === 41 /* ) */ ||
  c === 60 /* < */ ||
  c === 62; /* > */

const ANSI_C: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** The words of a line. Never throws: an unclosed quote runs to the end of the line. */
export function shellWords(s: string): ShellWord[] {
  const out: ShellWord[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isBlank(c)) {
      i++;
      continue;
    }
    // newline and \r (a tty's Enter) end a command
    if (c === 10 || c === 13) {
      out.push({ kind: WordKind.Control, value: '\n', start: i, end: i + 1 });
      i++;
      continue;
    }
    const op = operatorAt(s, i);
    if (op !== undefined) {
      out.push(op);
      i = op.end;
      continue;
    }
    const w = readWord(s, i);
    // `2>file`, `2>&1`: digits right before < or > are the redirection's fd, not a word
    if (w.end < n && w.map === undefined && isDigits(w.value) && (s.charCodeAt(w.end) === 60 || s.charCodeAt(w.end) === 62)) {
      const r = operatorAt(s, w.end)!;
      out.push({ kind: WordKind.Redirect, value: w.value + r.value, start: w.start, end: r.end });
      i = r.end;
      continue;
    }
    out.push(w);
    i = w.end;
  }
  return out;
}

function isDigits(v: string): boolean {
  if (v.length === 0 || v.length > 3) return false;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) < 48 || v.charCodeAt(i) > 57) return false;
  return true;
}

const CONTROL_OPS = ['||', '&&', '|&', ';;', '|', ';', '&', '(', ')'];
const REDIRECT_OPS = ['&>>', '<<<', '<<-', '&>', '>>', '<<', '>&', '<&', '>|', '<>', '<', '>'];

function operatorAt(s: string, i: number): ShellWord | undefined {
  const c = s.charCodeAt(i);
  if (c !== 124 && c !== 38 && c !== 59 && c !== 40 && c !== 41 && c !== 60 && c !== 62) return undefined;
  for (const op of REDIRECT_OPS) if (s.startsWith(op, i)) return { kind: WordKind.Redirect, value: op, start: i, end: i + op.length };
  for (const op of CONTROL_OPS) if (s.startsWith(op, i)) return { kind: WordKind.Control, value: op, start: i, end: i + op.length };
  return undefined;
}

/** One word from s[i] (not blank, not an operator). */
function readWord(s: string, start: number): ShellWord {
  const n = s.length;
  let value = '';
  let map: number[] | undefined;
  let subs: number[] | undefined;
  let i = start;
  // the value equals the raw slice until a quote or escape is met: copy lazily
  const literal = (from: number, to: number): void => {
    if (map === undefined) return;
    for (let k = from; k < to; k++) {
      value += s[k];
      map.push(k);
    }
  };
  const switchToMapped = (): void => {
    if (map !== undefined) return;
    map = [];
    for (let k = start; k < i; k++) {
      value += s[k];
      map.push(k);
    }
  };
  const put = (ch: string, at: number): void => {
    value += ch;
    map!.push(at);
  };
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isMeta(c)) break;
    if (c === 92 /* \ */) {
      switchToMapped();
      if (i + 1 < n) {
        if (s.charCodeAt(i + 1) !== 10) put(s[i + 1], i + 1); // \newline: a line continuation
        i += 2;
      } else {
        put('\\', i);
        i++;
      }
      continue;
    }
    if (c === 39 /* ' */) {
      switchToMapped();
      const close = s.indexOf("'", i + 1);
      const to = close < 0 ? n : close;
      for (let k = i + 1; k < to; k++) put(s[k], k);
      i = close < 0 ? n : close + 1;
      continue;
    }
    if (c === 36 /* $ */ && s.charCodeAt(i + 1) === 39) {
      switchToMapped();
      i = ansiC(s, i + 2, put);
      continue;
    }
    if (c === 34 /* " */) {
      switchToMapped();
      i++;
      while (i < n && s.charCodeAt(i) !== 34) {
        const d = s.charCodeAt(i);
        if (d === 92 && i + 1 < n) {
          const e = s.charCodeAt(i + 1);
          if (e === 36 || e === 96 || e === 34 || e === 92) {
            put(s[i + 1], i + 1);
            i += 2;
            continue;
          }
          if (e === 10) {
            i += 2;
            continue;
          }
        }
        if ((d === 36 && s.charCodeAt(i + 1) === 40) || d === 96) {
          const from = value.length;
          const to = substitution(s, i, put);
          (subs ??= []).push(from + (d === 96 ? 1 : 2), value.length - (to.closed ? 1 : 0));
          i = to.end;
          continue;
        }
        put(s[i], i);
        i++;
      }
      if (i < n) i++; // the closing quote
      continue;
    }
    if ((c === 36 && s.charCodeAt(i + 1) === 40) || c === 96) {
      const from = map === undefined ? i - start : value.length;
      const sub = substitution(s, i, map === undefined ? undefined : put);
      (subs ??= []).push(from + (c === 96 ? 1 : 2), (map === undefined ? sub.end - start : value.length) - (sub.closed ? 1 : 0));
      i = sub.end;
      continue;
    }
    literal(i, i + 1);
    i++;
  }
  if (map === undefined)
    return subs === undefined
      ? { kind: WordKind.Word, value: s.slice(start, i), start, end: i }
      : { kind: WordKind.Word, value: s.slice(start, i), start, end: i, subs };
  const w: ShellWord = { kind: WordKind.Word, value, start, end: i, map };
  if (subs !== undefined) w.subs = subs;
  return w;
}

/** $'...' from the first character after the quote; returns the position after the closing quote. */
function ansiC(s: string, i: number, put: (ch: string, at: number) => void): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 39) return i + 1;
    if (c === 92 && i + 1 < n) {
      const e = s[i + 1];
      const mapped = ANSI_C[e];
      if (mapped !== undefined) {
        put(mapped, i + 1);
        i += 2;
        continue;
      }
      if (e === 'x') {
        let j = i + 2;
        while (j < n && j < i + 4 && /[0-9a-fA-F]/.test(s[j])) j++;
        if (j > i + 2) {
          put(String.fromCharCode(parseInt(s.slice(i + 2, j), 16)), i + 1);
          i = j;
          continue;
        }
      }
    }
    put(s[i], i);
    i++;
  }
  return n;
}

/**
 * `$(...)` or a backtick body starting at s[i], copied into the word as written (the redactor
 * reads it as a command line of its own). Nested parentheses and quotes are followed so a `)`
 * inside them does not end it.
 */
function substitution(s: string, i: number, put: ((ch: string, at: number) => void) | undefined): { end: number; closed: boolean } {
  const n = s.length;
  const start = i;
  let closed = false;
  if (s.charCodeAt(i) === 96) {
    const close = s.indexOf('`', i + 1);
    i = close < 0 ? n : close + 1;
    closed = close >= 0;
  } else {
    let depth = 0;
    i += 1; // at '('
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 40) depth++;
      else if (c === 41) {
        depth--;
        if (depth === 0) {
          i++;
          closed = true;
          break;
        }
      } else if (c === 39) {
        const close = s.indexOf("'", i + 1);
        i = close < 0 ? n : close;
      } else if (c === 92) i++;
      i++;
    }
    if (i > n) i = n;
  }
  if (put !== undefined) for (let k = start; k < i; k++) put(s[k], k);
  return { end: i, closed };
}

/** The argv a line stands for: the values of its words, operators included as words. */
export function shellArgs(s: string): string[] {
  const words = shellWords(s);
  const out: string[] = new Array(words.length);
  for (let i = 0; i < words.length; i++) out[i] = words[i].value;
  return out;
}
