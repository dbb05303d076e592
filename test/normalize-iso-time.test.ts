// @timestamp without a Date per event: the clock's text must be toISOString's, whatever order
// times come in (bursts within a second, day and year boundaries, a log replayed backwards).
import assert from 'node:assert/strict';
import { IsoClock } from '../src/audit/normalize/iso-time.js';

describe('IsoClock', () => {
  it("writes Date's toISOString for every millisecond around day, year and range boundaries", () => {
    const clock = new IsoClock();
    const edges = [0, 86_400_000, 1_481_076_992_414, Date.UTC(2024, 1, 29), Date.UTC(2025, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999), -62_167_219_200_000];
    const times: number[] = [];
    for (const e of edges) for (let d = -2_000; d <= 2_000; d += 7) times.push(e + d);
    // far outside 0000-9999 toISOString writes a signed six-digit year; the clock does the same
    times.push(-62_167_219_200_001, 253_402_300_800_000, 1.5);
    for (const t of [...times, ...times.slice().reverse()]) assert.equal(clock.iso(t), new Date(t).toISOString(), String(t));
  });
});
