// ISO 8601 timestamps without a Date per event: the "YYYY-MM-DDT" prefix is made once per day
// (by Date), the time of day from tables, and "YYYY-MM-DDTHH:MM:SS." is kept for the second
// (audit events come in bursts within one second). Same output as Date.prototype.toISOString
// for years 0-9999.

const TWO: string[] = Array.from({ length: 60 }, (_, i) => (i < 10 ? '0' : '') + i);
/** "000Z" ... "999Z" */
const MILLIS: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0') + 'Z');

export class IsoClock {
  private day = Number.NaN;
  private dayPrefix = '';
  private sec = Number.NaN;
  private prefix = '';

  iso(ms: number): string {
    if (!Number.isInteger(ms)) return new Date(ms).toISOString();
    const sec = Math.floor(ms / 1000);
    if (sec !== this.sec) {
      const day = Math.floor(sec / 86400);
      if (day !== this.day) {
        const full = new Date(day * 86400000).toISOString(); // "2026-11-23T00:00:00.000Z"
        if (full.length !== 24) return new Date(ms).toISOString(); // outside 0000-9999: no shortcut
        this.day = day;
        this.dayPrefix = full.slice(0, 11);
      }
      const s = sec - day * 86400;
      const h = Math.floor(s / 3600);
      const m = Math.floor((s - h * 3600) / 60);
      this.sec = sec;
      this.prefix = this.dayPrefix + TWO[h] + ':' + TWO[m] + ':' + TWO[s - h * 3600 - m * 60] + '.';
    }
    return this.prefix + MILLIS[ms - sec * 1000];
  }
}
