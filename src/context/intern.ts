// Shared copies of what processes repeat: executables, names, sessions and whole argument lists.
// A table of 100,000 processes holds a few hundred distinct executables and command lines, so
// each is kept once. Strings are copied on first sight: a record's values are often slices of
// the raw line they were parsed from, and keeping a slice keeps the whole line alive.
// Bounded: a full map starts over (what is in use stays shared by the entries that hold it).

/** Argument lists this long or longer are kept as they are, not looked up. */
const MAX_ARGS_KEY = 4096;
const WIDE = /[^\x00-\xff]/;

export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly argLists = new Map<string, readonly string[]>();
  constructor(private readonly max = 4096) {}

  str(s: string): string;
  str(s: string | undefined): string | undefined;
  str(s: string | undefined): string | undefined {
    if (s === undefined) return undefined;
    let hit = this.strings.get(s);
    if (hit === undefined) {
      if (this.strings.size >= this.max) this.strings.clear();
      hit = own(s);
      this.strings.set(hit, hit);
    }
    return hit;
  }

  /** One shared, frozen array per distinct argument list (argv never holds NUL: the key is exact). */
  args(a: readonly string[] | undefined): readonly string[] | undefined {
    if (a === undefined) return undefined;
    let len = 0;
    for (let i = 0; i < a.length; i++) len += a[i].length + 1;
    if (len >= MAX_ARGS_KEY) return Object.freeze(a.map(own));
    const key = a.join('\0');
    let hit = this.argLists.get(key);
    if (hit === undefined) {
      if (this.argLists.size >= this.max) this.argLists.clear();
      hit = Object.freeze(a.map((s) => this.str(s)));
      this.argLists.set(key, hit);
    }
    return hit;
  }
}

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
