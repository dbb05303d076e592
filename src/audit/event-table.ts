// Entries found by node and serial and walked in the order they were added: the reassembler's
// open events, and each node's recently emitted serials. What a Map did, without its garbage. A Map that events pass through by the thousand swaps its
// hash table every few of them as it grows and shrinks, and a table that reached the old
// generation keeps the next one (and the events in it) alive until a full GC: on the 1,000,000-
// line server log that was 30 MB promoted. Here one slot array, sized once, holds the events
// (open addressing, linear probing, backward-shift removal) and the events link to each other.

export interface TableEntry<E> {
  /** the node's state object: the same one for every event of a node */
  ns: object;
  serial: number;
  /** neighbours in opening order, and the slot holding the entry, while it is in a table */
  prev: E | undefined;
  next: E | undefined;
  slot: number;
}

export class EventTable<E extends TableEntry<E>> {
  size = 0;
  /** the entry that opened first (first to expire), and the newest */
  first: E | undefined;
  last: E | undefined;
  private slots: (E | undefined)[];
  private mask: number;

  /** `expected`: the most entries it will usually hold (it grows past that if it must). */
  constructor(expected: number) {
    let n = 16;
    while (n < expected * 2) n *= 2;
    this.slots = new Array<E | undefined>(n).fill(undefined);
    this.mask = n - 1;
  }

  private home(serial: number): number {
    return (Math.imul(serial, 0x9e3779b1) >>> 0) & this.mask;
  }

  get(ns: object, serial: number): E | undefined {
    const slots = this.slots;
    for (let i = this.home(serial); ; i = (i + 1) & this.mask) {
      const e = slots[i];
      if (e === undefined) return undefined;
      if (e.serial === serial && e.ns === ns) return e;
    }
  }

  /** Adds an entry no entry of the table has the node and serial of; it is the newest. */
  add(e: E): void {
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    this.place(e);
    this.size++;
    e.prev = this.last;
    e.next = undefined;
    if (this.last !== undefined) this.last.next = e;
    else this.first = e;
    this.last = e;
  }

  /** Takes an entry that is in the table out of it. */
  remove(e: E): void {
    const slots = this.slots;
    const mask = this.mask;
    // backward shift: entries after the hole that could sit in it move back
    let hole = e.slot;
    slots[hole] = undefined;
    for (let i = (hole + 1) & mask; ; i = (i + 1) & mask) {
      const m = slots[i];
      if (m === undefined) break;
      const h = this.home(m.serial);
      if (((i - h) & mask) >= ((i - hole) & mask)) {
        slots[hole] = m;
        m.slot = hole;
        slots[i] = undefined;
        hole = i;
      }
    }
    this.size--;
    if (e.prev !== undefined) e.prev.next = e.next;
    else this.first = e.next;
    if (e.next !== undefined) e.next.prev = e.prev;
    else this.last = e.prev;
    e.prev = e.next = undefined;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.size = 0;
    this.first = this.last = undefined;
  }

  private place(e: E): void {
    let i = this.home(e.serial);
    while (this.slots[i] !== undefined) i = (i + 1) & this.mask;
    this.slots[i] = e;
    e.slot = i;
  }

  private grow(): void {
    this.slots = new Array<E | undefined>(this.slots.length * 2).fill(undefined);
    this.mask = this.slots.length - 1;
    for (let e = this.first; e !== undefined; e = e.next) this.place(e);
  }
}
