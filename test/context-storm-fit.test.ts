import assert from 'node:assert/strict';
import { fitEnrichCost } from '../bench/context-storm.bench.js';

// The live storm bench's estimate of what enrichment costs the daemon's main thread when the
// runs' wake-ups differ (the storm's rate moves them): main CPU = a + b * wake-ups + d * on.
describe('context storm bench: enrichment cost at the same wake-ups', () => {
  it('recovers the per-wake-up cost and the enrichment term from runs at different rates', () => {
    // off and on runs at overlapping wake-up counts, 0.0004 s per wake-up, enrichment +0.25 s
    const runs = [
      { w: 3000, on: false },
      { w: 3900, on: false },
      { w: 4600, on: false },
      { w: 3200, on: true },
      { w: 4100, on: true },
      { w: 4700, on: true },
    ].map((r) => ({ ...r, y: 1.5 + 0.0004 * r.w + (r.on ? 0.25 : 0) }));
    const fit = fitEnrichCost(runs)!;
    assert.ok(Math.abs(fit.a - 1.5) < 1e-6, `a ${fit.a}`);
    assert.ok(Math.abs(fit.b - 0.0004) < 1e-9, `b ${fit.b}`);
    assert.ok(Math.abs(fit.d - 0.25) < 1e-6, `d ${fit.d}`);
  });

  it('does not mistake a rate difference for enrichment cost', () => {
    // the on runs happened to wake more often, but enrichment itself costs nothing here
    const runs = [
      { w: 3000, on: false },
      { w: 3300, on: false },
      { w: 4500, on: true },
      { w: 4800, on: true },
      { w: 3600, on: true },
    ].map((r) => ({ ...r, y: 1.0 + 0.0005 * r.w }));
    const fit = fitEnrichCost(runs)!;
    assert.ok(Math.abs(fit.d) < 1e-6, `d ${fit.d}`);
  });

  it('gives no estimate when the runs cannot tell the terms apart', () => {
    assert.equal(fitEnrichCost([{ y: 1, w: 10, on: true }]), undefined);
    const same = [false, true, false, true].map((on) => ({ y: on ? 2 : 1, w: 4000, on }));
    assert.equal(fitEnrichCost(same), undefined);
  });
});
