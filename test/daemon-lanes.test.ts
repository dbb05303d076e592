// The daemon's lanes (config `threads`): an audit.log tailed through worker lanes gives the file
// output exactly what one thread writes, and a daemon killed mid-stream and started again has
// written every event at least once (its checkpoint never passed a line whose records were not
// in the file). When the lanes are used at all, and how many, is laneCount's decision.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig } from '../src/config/load.js';
import { laneCount } from '../src/daemon.js';
import type { Output } from '../src/pipeline/types.js';
import { BatchBuilder, joinBatches, unpack } from '../src/pipeline/workers/lane-protocol.js';
import { startDaemon } from './support/daemon-process.js';
import { tempDir, writtenJsonLines } from './support/io.js';
import { waitFor } from './support/wait.js';

const sample = readFileSync(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('type='));

/** The sample's events `cycles` times over, serials renumbered so every event is a new one. */
function auditLog(cycles: number): { text: string; serials: Set<number> } {
  const lines: string[] = [];
  const serials = new Set<number>();
  let next = 1_000_000;
  for (let c = 0; c < cycles; c++) {
    const map = new Map<string, number>();
    for (const l of sample) {
      const m = /audit\((\d+\.\d+):(\d+)\)/.exec(l)!;
      let s = map.get(m[2]);
      if (s === undefined) map.set(m[2], (s = next++));
      serials.add(s);
      lines.push(l.replace(m[0], `audit(${m[1]}:${s})`));
    }
  }
  return { text: lines.join('\n') + '\n', serials };
}

const start = startDaemon;

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
const sequences = (path: string) => writtenJsonLines(path).map((r) => r.event.sequence as number);

function writeConfig(dir: string, log: string, out: string, extra: string[]): string {
  const config = join(dir, 'auditflow.yaml');
  writeFileSync(
    config,
    [
      `state_dir: ${dir}/state`,
      'log_level: info',
      // the process table reads this host's /proc: the comparison needs records that do not
      'enrich: { process: false, container: false }',
      ...extra,
      'inputs:',
      `  - { type: auditlog, path: ${log}, reassembly_timeout_ms: 200 }`,
      'outputs:',
      `  - { type: file, path: ${out} }`,
    ].join('\n') + '\n',
  );
  return config;
}

/** Runs the daemon over `log` until every serial is in the output, then stops it. */
async function runToEnd(dir: string, log: string, serials: Set<number>, extra: string[], lanes: number): Promise<string> {
  const out = join(dir, 'events.jsonl');
  const d = start(writeConfig(dir, log, out, extra));
  try {
    await waitFor(
      'every event in the output',
      () => new Set(sequences(out)).size === serials.size,
      60_000,
      () => d.stderr(),
    );
  } finally {
    d.child.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.stderr());
  }
  assert.equal(/ lanes=(\d+)/.exec(d.stderr())?.[1] ?? '0', String(lanes), 'lanes started');
  return read(out);
}

/** An event's records as BatchBuilder takes them: each with its line. */
const linesOf = (lines: string[]) => lines.map((line) => ({ line }));

describe('daemon lanes (threads)', function () {
  this.timeout(120_000);
  const { text, serials } = auditLog(12);

  it('writes the same records in the same order as one thread, with two lanes and with the one lane a stateful filter gets', async () => {
    const dir = tempDir('af-lanes-');
    const log = join(dir, 'audit.log');
    writeFileSync(log, text);
    const one = await runToEnd(tempDir('af-lanes-0-'), log, serials, [], 0);
    assert.ok(one.length > 0);
    assert.equal(await runToEnd(tempDir('af-lanes-2-'), log, serials, ['threads: 2'], 2), one);
    const filtered = ['filters:', '  - filter_chain: "exclude_comm:nothing-by-this-name"'];
    assert.equal(await runToEnd(tempDir('af-lanes-1-'), log, serials, ['threads: 2', ...filtered], 1), one);
  });

  it('killed mid-stream and started again, has written every event at least once', async () => {
    const dir = tempDir('af-lanes-kill-');
    const log = join(dir, 'audit.log');
    const out = join(dir, 'events.jsonl');
    writeFileSync(log, text);
    const config = writeConfig(dir, log, out, ['threads: 2']);
    const first = start(config);
    await waitFor(
      'the first records',
      () => read(out).length > 0,
      30_000,
      () => first.stderr(),
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const before = new Set(sequences(out));
    assert.ok(before.size < serials.size, `killed after the whole log was written (${before.size} events): not mid-stream`);
    const second = start(config);
    try {
      await waitFor(
        'every event after the restart',
        () => {
          const seen = new Set(sequences(out));
          return [...serials].every((s) => seen.has(s));
        },
        60_000,
        () => second.stderr(),
      );
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0, second.stderr());
    }
  });

  it("a truncated file's last events, completed by its old reader, go out ahead of the new reader's in one batch", () => {
    const before = new BatchBuilder();
    before.event(linesOf(sample.slice(0, 2)));
    before.error('AF_ERR_PARSE', 'not an audit record', 'audit.log:3');
    const after = new BatchBuilder();
    after.event(linesOf(sample.slice(3, 4)));
    const seen: string[] = [];
    unpack(
      joinBatches(before.take(), after.take())!,
      (records) => seen.push(records.map((r) => `${r.type}:${r.serial}`).join(',')),
      (code, _message, where) => seen.push(`${code}@${where}`),
    );
    const id = (l: string) => {
      const m = /^type=(\S+) msg=audit\([\d.]+:(\d+)\)/.exec(l)!;
      return `${m[1]}:${m[2]}`;
    };
    assert.deepEqual(seen, [`${id(sample[0])},${id(sample[1])}`, 'AF_ERR_PARSE@audit.log:3', id(sample[3])]);
    assert.equal(joinBatches(undefined, undefined), undefined);
  });

  it('a batch carries lines that are not ASCII across unchanged, whatever their length', () => {
    const b = new BatchBuilder();
    const odd = [
      `type=USER_CMD msg=audit(1700000000.001:7): pid=1 uid=0 msg='cwd="/home/jörg/名前" cmd=ls terminal=pts/0 res=success'`,
      `type=USER_CMD msg=audit(1700000000.002:8): pid=1 uid=0 msg='cwd="/${'é'.repeat(40_000)}😀" cmd=ls terminal=pts/0 res=success'`,
    ];
    b.event(linesOf(odd.slice(0, 1)));
    b.event(linesOf(odd.slice(1)));
    const bodies: string[] = [];
    unpack(
      b.take(),
      (records) => bodies.push(...records.map((r) => r.body)),
      () => assert.fail('no errors'),
    );
    assert.deepEqual(
      bodies,
      odd.map((l) => l.slice(l.indexOf('): ') + 3)),
    );
  });

  it('are used for an audit.log alone into files: as many as asked without state across records, else one, else none', () => {
    const file = { writeLines: () => Promise.resolve() } as unknown as Output;
    const other = {} as Output;
    const cfg = (doc: Record<string, unknown>) =>
      checkConfig({ inputs: [{ type: 'auditlog', path: '/x/audit.log' }], outputs: [{ type: 'file', path: '/x/out' }], ...doc }, 'test');
    const off = { enrich: { process: false, container: false } };
    assert.equal(laneCount(cfg({ ...off }), [file]), 0, 'threads defaults to 0');
    assert.equal(laneCount(cfg({ ...off, threads: 3 }), [file]), 3);
    assert.equal(laneCount(cfg({ threads: 3 }), [file]), 1, 'the process table sees every record');
    assert.equal(laneCount(cfg({ ...off, threads: 3, filters: [{ type: 'throttle' }] }), [file]), 1, 'a throttle counts every record');
    assert.equal(laneCount(cfg({ ...off, threads: 3 }), [file, other]), 0, 'an output without writeLines');
    assert.equal(laneCount(cfg({ ...off, threads: 3, error_records: true }), [file]), 0, 'error records would overtake the lanes');
    const two = cfg({
      ...off,
      threads: 3,
      inputs: [
        { type: 'auditlog', path: '/x/a.log' },
        { type: 'snoopy', path: '/x/s.log' },
      ],
    });
    assert.equal(laneCount(two, [file]), 0, 'records of another input');
    assert.throws(() => cfg({ threads: 17 }), /threads/);
  });
});
