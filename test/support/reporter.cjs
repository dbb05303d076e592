'use strict';
// Spec output for people, plus the one closing line CI reads: "N passed, N failed".
// Counted from the runner's own events, so a crashed hook or a skipped kernel test under CI
// (which the tests turn into a failure) is never mistaken for a pass.
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;
const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

class ClosingLineReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0,
      failed = 0,
      skipped = 0;
    runner.on(EVENT_TEST_PASS, () => {
      passed++;
    });
    runner.on(EVENT_TEST_FAIL, () => {
      failed++;
    });
    runner.on(EVENT_TEST_PENDING, () => {
      skipped++;
    });
    runner.once(EVENT_RUN_END, () => {
      // Spec registered its epilogue first, so this line is the last one printed.
      process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    });
  }
}
module.exports = ClosingLineReporter;
