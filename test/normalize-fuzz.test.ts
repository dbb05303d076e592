import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prng } from './support/prng.js';
import { fileURLToPath } from 'node:url';
import { createNormalizer } from '../src/audit/normalize/index.js';
import { parseLine, isFailure, type AuditRecord } from '../src/audit/record.js';

// Deterministic: a failure reproduces with the same seed.
const SEED = 0x0a0d17;

const sample = readFileSync(fileURLToPath(new URL('./fixtures/samples/audit-raw.sample.log', import.meta.url)), 'utf8');
const events = new Map<number, AuditRecord[]>();
for (const line of sample.split('\n')) {
  const r = parseLine(line);
  if (isFailure(r)) continue;
  const l = events.get(r.serial);
  if (l) l.push(r);
  else events.set(r.serial, [r]);
}
const eventList = [...events.values()];

/** Values that have broken normalizers: wrong kind, wrong size, wrong encoding. */
const NASTY = [
  '',
  '"',
  '"unterminated',
  '""',
  '(null)',
  '?',
  '(none)',
  'zz',
  'ABC',
  '-1',
  '-0',
  '1e400',
  'NaN',
  '0x10',
  'ffffffffffffffffffffffff',
  '18446744073709551615',
  '4294967295',
  '00',
  '0100',
  '0A00',
  '\0',
  '\x1d',
  '41'.repeat(40_000),
  '"' + 'x'.repeat(20_000) + '"',
  'C3',
  'FF'.repeat(7),
  '__proto__',
  'constructor',
  '..',
  '/../../..',
  '//',
  'a\nb',
  '🚀',
  '\uD800',
];
const TYPES = [
  'SYSCALL',
  'EXECVE',
  'PATH',
  'CWD',
  'SOCKADDR',
  'SOCKETCALL',
  'PROCTITLE',
  'LOGIN',
  'USER_AUTH',
  'AVC',
  'CONFIG_CHANGE',
  'ANOM_ABEND',
  'OBJ_PID',
  'KERN_MODULE',
  'URINGOP',
  'SECCOMP',
  'DAEMON_START',
  'UNKNOWN[1999]',
  'EOE',
];

function mutate(rand: () => number, recs: AuditRecord[]): AuditRecord[] {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
  let out = recs.map((r) => ({ ...r, fields: Object.assign(Object.create(null), r.fields) as Record<string, string> }));
  for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
    const r = pick(out);
    const keys = Object.keys(r.fields);
    switch (Math.floor(rand() * 7)) {
      case 0:
        if (keys.length) r.fields[pick(keys)] = pick(NASTY);
        break;
      case 1:
        if (keys.length) delete r.fields[pick(keys)];
        break;
      case 2:
        r.type = pick(TYPES);
        break;
      case 3:
        if (out.length > 1) out.splice(Math.floor(rand() * out.length), 1);
        break;
      case 4:
        out.push({ ...pick(out) });
        break;
      case 5:
        out = out.reverse();
        break;
      default:
        for (const key of keys) if (rand() < 0.3) r.fields[key] = pick(NASTY);
    }
  }
  return out;
}

describe('normalize: mutated events (fuzz)', function () {
  this.timeout(60_000);

  it('20,000 mutated copies of the sample events: never a throw, never an unreadable record', () => {
    const rand = prng(SEED);
    const n = createNormalizer({ resolveNames: false, includeOriginal: true });
    for (let i = 0; i < 20_000; i++) {
      const recs = mutate(rand, eventList[i % eventList.length]);
      const out = n.normalize(recs);
      assert.equal(typeof out.event.action, 'string', `case ${i}`);
      assert.ok(out.event.action.length > 0, `case ${i}: action`);
      assert.ok(!Number.isNaN(Date.parse(out['@timestamp'])), `case ${i}: timestamp`);
      assert.ok(out.message !== undefined && !out.message.includes('\n'), `case ${i}: one-line message`);
      // fields that do not apply are left out, never null
      assert.ok(!JSON.stringify(out).includes(':null'), `case ${i}: a null field`);
      // field garbage must be absorbed field by field, not by the whole-event fallback
      assert.equal(n.errors, 0, `case ${i}: ${out.error?.message}`);
    }
  });
});
