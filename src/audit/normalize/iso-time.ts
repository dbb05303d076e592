// ISO 8601 timestamps without a Date per event: audit events come in bursts within the same
// second, so the "YYYY-MM-DDTHH:MM:SS." prefix is computed once per second and the
// milliseconds appended. Same output as Date.prototype.toISOString for years 0-9999.

export class IsoClock {
  private sec = Number.NaN;
  private prefix = '';

  iso(ms: number): string {
    const sec = Math.floor(ms / 1000);
    if (sec !== this.sec) {
      const full = new Date(sec * 1000).toISOString(); // "2026-11-23T00:53:13.000Z"
      if (full.length !== 24) return new Date(ms).toISOString(); // outside 0000-9999: no shortcut
      this.sec = sec;
      this.prefix = full.slice(0, 20);
    }
    const frac = ms - sec * 1000;
    return this.prefix + (frac < 10 ? '00' : frac < 100 ? '0' : '') + frac + 'Z';
  }
}
