// The one way tests wait: on a condition they can observe, never on a guess of how long something takes.
// `sleep` is only for tests where the passing of time is itself the behaviour (nothing more arrives,
// an idle reader stays asleep); each such call says so beside it.

const POLL_MS = 20;

type Falsy = false | 0 | '' | null | undefined;

/**
 * Polls `condition` (sync or async) until it returns a truthy value, and returns that value.
 * A condition that throws fails the wait at once (a child that died will not come back). On
 * timeout the error names `what` and, if given, `describe()` of the state then, so a failure
 * says what was seen instead of only that time ran out.
 */
export async function waitFor<T>(what: string, condition: () => T | Promise<T>, timeoutMs = 10_000, describe?: () => unknown): Promise<Exclude<T, Falsy>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await condition();
    if (v) return v as Exclude<T, Falsy>;
    if (Date.now() >= deadline) throw new WaitTimeout(what, timeoutMs, describe);
    await sleep(POLL_MS);
  }
}

export class WaitTimeout extends Error {
  constructor(what: string, timeoutMs: number, describe?: () => unknown) {
    let msg = `timed out after ${timeoutMs} ms waiting for ${what}`;
    if (describe) msg += `; saw: ${show(describe)}`;
    super(msg);
    this.name = 'WaitTimeout';
  }
}

function show(describe: () => unknown): string {
  try {
    const s = describe();
    return typeof s === 'string' ? s : JSON.stringify(s);
  } catch (e) {
    return `(describe() threw: ${e instanceof Error ? e.message : String(e)})`;
  }
}

/** Lets time pass. Only where elapsed time is what the test is about; say why beside the call. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
