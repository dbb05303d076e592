// Filter throughput on normalized records made from the sample logs (audit, snoopy, bash):
// the default chain (redaction only) and a 20-filter chain. Every round gets fresh copies of the
// records (redaction changes them in place), copied outside the timed part.
// Run: node --expose-gc --import tsx bench/filters.bench.ts [records-per-round]
import { buildFilterChain } from '../src/filters/index.js';
import { kRaw, type NormalizedRecord } from '../src/record.js';
import { silentLogger } from '../src/log.js';
import type { Filter } from '../src/pipeline/types.js';
import { auditRecords, bashRecords, snoopyRecords } from '../test/fixtures/filters/records.js';

const perRound = Number(process.argv[2] ?? 20_000);
const rounds = 25;
// with --expose-gc the copies' garbage is collected before each timed part, not during it
const gc = (globalThis as { gc?: () => void }).gc;
const base = [...auditRecords(), ...snoopyRecords(), ...bashRecords()];
const secretBearing = base.filter((r) => /pass|token|secret|-p\S|Bearer/i.test(JSON.stringify(r))).length;

function copies(n: number): NormalizedRecord[] {
  const out: NormalizedRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const src = base[i % base.length];
    const c = structuredClone(src);
    const raw = src[kRaw];
    if (raw !== undefined) c[kRaw] = typeof raw === 'string' ? raw : structuredClone(raw);
    out[i] = c;
  }
  return out;
}

const ctx = { stateDir: '/tmp', hostName: 'bench', log: silentLogger };
const chains: [string, () => Filter[]][] = [
  ['default (redaction on)', () => buildFilterChain([], ctx)],
  [
    '20 filters',
    () =>
      buildFilterChain(
        [
          {
            filter_chain:
              'exclude_uid:992,993;exclude_auid:12345;exclude_comm:mongod,redis-server;exclude_spawns_of:crond,my-daemon;exclude_keys:noise;exclude_exe:/opt/**;exclude_path:/proc/**,/sys/**',
          },
          { type: 'drop', where: { 'event.category': 'file', 'file.path': '/var/cache/**' } },
          { type: 'drop', where: { 'process.name': ['updatedb', 'mlocate'] } },
          { type: 'drop', where: { 'user.id': 65533 } },
          { type: 'drop', where: { 'audit.exit': { lt: -100 } } },
          { type: 'match', where: [{ 'event.module': 'auditd' }, { 'event.module': 'snoopy' }, { 'event.module': 'bash' }] },
          { type: 'drop', where: { 'process.executable': '/usr/sbin/cron' } },
          { type: 'drop', where: { 'destination.port': 53 } },
          { type: 'drop', where: { 'file.path': '**/*.swp' } },
          { type: 'drop', where: { 'process.working_directory': '/var/spool/**' } },
          { type: 'drop', where: { 'user.name': 'zabbix' } },
          { type: 'redact', rules: [{ pattern: 'employee-(\\d{6})' }] },
          { type: 'throttle', rate: 1e9, burst: 1e9 },
        ],
        { ...ctx, procTable: false },
      ),
  ],
];

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
/** a filter_chain counts each of its parts */
const units = (fs: Filter[]): number => fs.reduce((n, f) => n + ((f as { parts?: Filter[] }).parts?.length ?? 1), 0);
console.log(`node ${process.version}${gc ? ', gc between rounds' : ' (run with node --expose-gc for steadier numbers)'}`);
console.log(`${base.length} sample records (${secretBearing} carry a secret), ${perRound} per round, ${rounds} rounds`);
for (const [name, make] of chains) {
  const filters = make();
  let total = 0;
  let best = 0;
  let kept = 0;
  for (let round = 0; round < rounds; round++) {
    const recs = copies(perRound);
    gc?.();
    const t0 = process.hrtime.bigint();
    kept = 0;
    for (let i = 0; i < recs.length; i++) {
      let r: NormalizedRecord | null = recs[i];
      for (let f = 0; f < filters.length && r !== null; f++) r = filters[f].apply(r);
      if (r !== null) kept++;
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    // the first rounds warm the JIT up
    if (round >= 5) total += s;
    best = Math.max(best, recs.length / s);
  }
  const mean = (perRound * (rounds - 5)) / total;
  console.log(
    `${name}: ${filters.length} filters (${units(filters)} filter units), ${fmt(mean)} records/s mean, ${fmt(best)} best round; kept ${kept}/${perRound}`,
  );
}
