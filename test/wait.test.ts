import assert from 'node:assert/strict';
import { waitFor, WaitTimeout } from './support/wait.js';

describe('test support: waitFor', () => {
  it('returns the first truthy value of a condition, polled until it comes', async () => {
    let n = 0;
    const got = await waitFor('the third poll', () => (++n >= 3 ? { polls: n } : undefined), 2000);
    assert.deepEqual(got, { polls: 3 });
  });

  it('takes an async condition', async () => {
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 30);
    assert.equal(await waitFor('ready', async () => ready, 2000), true);
  });

  it('fails at once when the condition throws', async () => {
    await assert.rejects(
      waitFor(
        'a child that died',
        () => {
          throw new Error('feeder exited 1');
        },
        10_000,
      ),
      { message: 'feeder exited 1' },
    ); // not a WaitTimeout 10 s later
  });

  it('on timeout names what it waited for and what describe() saw', async () => {
    await assert.rejects(
      waitFor(
        '2 lines',
        () => false,
        50,
        () => ({ lines: 1 }),
      ),
      (e: Error) => {
        assert.ok(e instanceof WaitTimeout);
        assert.equal(e.message, 'timed out after 50 ms waiting for 2 lines; saw: {"lines":1}');
        return true;
      },
    );
    await assert.rejects(
      waitFor('never', () => false, 0),
      { message: 'timed out after 0 ms waiting for never' },
    );
  });
});
