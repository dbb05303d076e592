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

  /** Where `key` is kept, or -1. */
  find(key: string): number {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
    return -1;
  }

  value(at: number): V {
    return this.values[at] as V;
  }

  /** Keeps `key`'s answer in place of the oldest. */
  set(key: string, value: V): V {
    this.keys[this.next] = key;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.keys.length;
    return value;
  }
}
