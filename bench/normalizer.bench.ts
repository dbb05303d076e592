// Normalizer throughput on the real sample, replayed until ~200,000 events have gone through:
//   node --import tsx bench/normalizer.bench.ts [events]
// Prints events/s for normalize() alone (records pre-parsed) and for parse + group + normalize,
// plus JSON.stringify of the result (what every output pays). One core, no I/O.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseLine, isFailure, type AuditRecord } from '../src/audit/record.js';
import { createNormalizer } from '../src/audit/normalize/index.js';

const target = Number(process.argv[2] ?? 200_000);
const sample = readFileSync(fileURLToPath(new URL('../test/fixtures/samples/audit-raw.sample.log', import.meta.url)), 'utf8');
const lines = sample.split('\n').filter((l) => l !== '');

function group(ls: string[]): AuditRecord[][] {
  const m = new Map<string, AuditRecord[]>();
  for (const l of ls) {
    const r = parseLine(l);
    if (isFailure(r)) continue;
    const k = `${r.node}:${r.serial}`;
    const g = m.get(k);
    if (g) g.push(r);
    else m.set(k, [r]);
  }
  return [...m.values()];
}

const events = group(lines);
const rounds = Math.max(1, Math.ceil(target / events.length));
const total = rounds * events.length;
const normalizer = createNormalizer();

function run(label: string, fn: () => number): void {
  fn(); // warm-up round (JIT)
  const t0 = process.hrtime.bigint();
  const n = fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label.padEnd(42)} ${n} events in ${s.toFixed(3)} s = ${Math.round(n / s).toLocaleString('en')} events/s`);
}

run('normalize (pre-parsed records)', () => {
  let n = 0;
  for (let i = 0; i < rounds; i++)
    for (const ev of events) {
      normalizer.normalize(ev);
      n++;
    }
  return n;
});
run('normalize + JSON.stringify', () => {
  let n = 0,
    _bytes = 0;
  for (let i = 0; i < rounds; i++)
    for (const ev of events) {
      _bytes += JSON.stringify(normalizer.normalize(ev)).length;
      n++;
    }
  return n;
});
run('parse + group + normalize + JSON.stringify', () => {
  let n = 0;
  for (let i = 0; i < rounds; i++)
    for (const ev of group(lines)) {
      JSON.stringify(normalizer.normalize(ev));
      n++;
    }
  return n;
});
console.log(
  `(${lines.length} records / ${events.length} events per round, ${rounds} rounds, ${total} events; rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB)`,
);
