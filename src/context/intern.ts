// Shared copies of what processes repeat: executables, names, sessions and whole argument lists.
// A table of 100,000 processes holds a few hundred distinct executables and command lines, so
// each is kept once. Strings are copied on first sight: a record's values are often slices of
// the raw line they were parsed from, and keeping a slice keeps the whole line alive.
// Bounded: a full map starts over (what is in use stays shared by the entries that hold it).

/** Argument lists this long or longer (joined) are kept as they are, not looked up. */
const MAX_ARGS_KEY = 4096;
const WIDE = /[^\x00-\xff]/;

export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly argTexts = new Map<string, string>();
  private readonly argLists = new Map<string, readonly string[]>();
  constructor(private readonly max = 4096) {}

  str(s: string): string;
  str(s: string | undefined): string | undefined;
  str(s: string | undefined): string | undefined {
    return s === undefined ? undefined : this.keep(this.strings, s);
  }

  /**
   * An argument list as one shared text, its arguments joined by NUL (argv never holds one), or,
   * when that would not say it exactly (no arguments), the frozen array itself. argList() turns
   * the text back into the one shared, frozen array.
   */
  argText(a: readonly string[]): string | readonly string[] {
    if (a.length === 0) return NO_ARGS;
    const key = a.join('\0');
    return key.length >= MAX_ARGS_KEY ? own(key) : this.keep(this.argTexts, key);
  }

  /** The one shared, frozen array of an argument list argText() gave. */
  argList(text: string): readonly string[] {
    if (text.length >= MAX_ARGS_KEY) return Object.freeze(text.split('\0'));
    let hit = this.argLists.get(text);
    if (hit === undefined) {
      if (this.argLists.size >= this.max) this.argLists.clear();
      hit = Object.freeze(text.split('\0').map((s) => this.str(s)));
      this.argLists.set(text, hit);
    }
    return hit;
  }

  /** The one copy of `s` in `map`, made on first sight. */
  private keep(map: Map<string, string>, s: string): string {
    let hit = map.get(s);
    if (hit === undefined) {
      if (map.size >= this.max) map.clear();
      hit = own(s);
      map.set(hit, hit);
    }
    return hit;
  }
}

const NO_ARGS: readonly string[] = Object.freeze([]);

/**
 * A copy that holds nothing else alive. V8 makes substrings of 13 characters or more views into
 * their parent string; shorter ones are copies already.
 */
function own(s: string): string {
  if (s.length < 13) return s;
  // code units copied as they are (utf8 would replace a lone surrogate)
  const enc = WIDE.test(s) ? 'utf16le' : 'latin1';
  return Buffer.from(s, enc).toString(enc);
}
