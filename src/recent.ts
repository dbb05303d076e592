// The last few answers for strings that come again right away (a process's title, event after
// event, with another process's events in between), found by `===` over a handful of entries: a
// miss costs a few length compares, where a Map would hash every new string (on a log whose
// titles never repeat, a Map of decoded titles cost more than the decoding it saved).
export class Recent<V> {
  private readonly keys: (string | undefined)[];
  private readonly values: (V | undefined)[];
  private next = 0;

  constructor(size = 4) {
    this.keys = new Array<string | undefined>(size).fill(undefined);
    this.values = new Array<V | undefined>(size).fill(undefined);
  }

  /** `key`'s kept answer, else `make(key)`, kept in place of the oldest. */
  get(key: string, make: (key: string) => V): V {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this.values[i] as V;
    const value = make(key);
    keys[this.next] = key;
    this.values[this.next] = value;
    this.next = (this.next + 1) % keys.length;
    return value;
  }
}
