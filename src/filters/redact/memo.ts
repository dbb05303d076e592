// A small cache of recent answers. One process emits many events that all carry its proctitle
// (a mysql client opening 50 files), so a secret-bearing title would otherwise be decoded and
// redacted once per event. Cleared when full: cheap, and bounded.
export class Memo<V> {
  private map = new Map<string, V>();
  constructor(private readonly max = 512) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, value);
  }
}
