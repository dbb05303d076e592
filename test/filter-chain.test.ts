import assert from 'node:assert/strict';
import { buildFilterChain, filterDefs, normalizeFilterItem } from '../src/filters/index.js';
import { parseFilterChain, FilterChain } from '../src/filters/chain.js';
import { checkConfig } from '../src/config/load.js';
import { AuditflowError } from '../src/errors.js';
import { users } from '../src/users.js';
import type { NormalizedRecord } from '../src/record.js';
import type { Filter } from '../src/pipeline/types.js';
import { silentLogger } from '../src/log.js';
import { auditRecords, snoopyRecords } from './fixtures/filters/records.js';

const ctx = { stateDir: '/tmp', hostName: 't', log: silentLogger, procTable: false };

function chain(items: unknown[]): (rec: NormalizedRecord) => NormalizedRecord | null {
  const filters: Filter[] = buildFilterChain([...items, { type: 'redact', enabled: false }], ctx);
  return (rec) => {
    let r: NormalizedRecord | null = rec;
    for (const f of filters) if (r) r = f.apply(r);
    return r;
  };
}

function rec(p: Partial<NormalizedRecord> & { process?: NormalizedRecord['process'] }): NormalizedRecord {
  return { '@timestamp': '2026-11-23T00:53:05.000Z', event: { module: 'auditd', action: 'executed' }, ...p } as NormalizedRecord;
}

function configErr(fn: () => unknown, mention: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof AuditflowError && e.code === 'AF_ERR_CONFIG' && mention.test(e.message), String(mention));
}

describe('filter_chain parsing (snoopy 2.5 rules)', () => {
  it("splits on ';' dropping empty specs, then at the first ':'; nothing is trimmed", () => {
    assert.deepEqual(parseFilterChain(';;exclude_uid:0,992;;only_tty;exclude_spawns_of:a:b,c;'), [
      { name: 'exclude_uid', arg: '0,992' },
      { name: 'only_tty', arg: '' },
      { name: 'exclude_spawns_of', arg: 'a:b,c' },
    ]);
    assert.deepEqual(parseFilterChain(''), []);
  });

  it('refuses an unknown filter name, naming it (snoopy would log an error and let everything through)', () => {
    configErr(() => parseFilterChain('exclude_uid:0;exclude_cron:1', 'filters[0].filter_chain'), /filters\[0\]\.filter_chain: unknown filter "exclude_cron"/);
    configErr(() => parseFilterChain('exclude_uid:0; only_tty'), /unknown filter " only_tty"/);
    configErr(() => buildFilterChain([{ filter_chain: 'no_such' }], ctx), /unknown filter "no_such"/);
  });

  it('takes user names or numbers; an unknown name is an error, not root', () => {
    const nobody = users().id('nobody');
    assert.ok(nobody, '/etc/passwd has nobody');
    const f = chain([{ filter_chain: 'exclude_uid:nobody,0992' }]);
    assert.equal(f(rec({ user: { id: nobody } })), null);
    assert.equal(f(rec({ user: { id: '992' } })), null);
    assert.ok(f(rec({ user: { id: '0' } })));
    configErr(() => chain([{ filter_chain: 'only_uid:no-such-user-here' }]), /unknown user "no-such-user-here"/);
  });

  it('ANDs the filters of a chain and counts per chain and per part', () => {
    const filters = buildFilterChain([{ filter_chain: 'only_root;only_tty' }], ctx);
    const c = filters.find((f) => f instanceof FilterChain) as FilterChain;
    const run = (r: NormalizedRecord) => c.apply(r);
    assert.ok(run(rec({ user: { id: '0' }, process: { tty: { char_device: { major: 136, minor: 0 } } } })));
    assert.equal(run(rec({ user: { id: '0' }, process: {} })), null);
    assert.equal(run(rec({ user: { id: '1000' }, process: { tty: { char_device: { major: 136, minor: 0 } } } })), null);
    assert.deepEqual(c.stats(), { kept: 1, dropped: 2, modified: 0, only_root_dropped: 1, only_tty_dropped: 1 });
    assert.deepEqual(
      c.parts.map((p) => [p.name, p.stats()]),
      [
        ['only_root', { kept: 2, dropped: 1, modified: 0 }],
        ['only_tty', { kept: 1, dropped: 1, modified: 0 }],
      ],
    );
  });
});

describe('chain filters on records from every source', () => {
  it("only_tty reads snoopy's tty field and the kernel's", () => {
    const f = chain([{ filter_chain: 'only_tty' }]);
    const snoopy = snoopyRecords();
    assert.ok(snoopy.length > 100);
    assert.equal(snoopy.filter((r) => f(r)).length, snoopy.filter((r) => !r.snoopy!.tty.startsWith('(none)')).length);
    assert.ok(
      snoopy.some((r) => f(r)),
      'the sample ran some commands on a pts (script)',
    );
    assert.ok(f(rec({ process: { tty: { char_device: { major: 136, minor: 0 } } } })));
    assert.equal(f(rec({ process: {} })), null);
  });

  it('exclude_comm (arstercz) and only_comm match the command name, a long name by its 15-byte cut', () => {
    const f = chain([{ filter_chain: 'exclude_comm:mysql,mongo,my-very-long-daemon' }]);
    const audit = auditRecords();
    const mysql = audit.find((r) => r.process?.name === 'mysql' && r.process.executable === '/usr/bin/mariadb')!;
    assert.equal(f(mysql), null, 'comm mysql, exe mariadb: dropped by comm');
    assert.ok(f(audit.find((r) => r.process?.name === 'curl')!));
    assert.equal(f(rec({ process: { name: 'my-very-long-da' } })), null);
    const only = chain([{ filter_chain: 'only_comm:curl' }]);
    assert.deepEqual([...new Set(audit.filter((r) => only(r)).map((r) => r.process!.name))], ['curl']);
  });

  it('exclude_auid / only_auid, with `unset` for daemons', () => {
    const audit = auditRecords();
    const unset = audit.filter((r) => r.user?.audit?.id === '4294967295' || r.user?.audit?.name === 'unset');
    const human = audit.filter((r) => r.user?.audit?.id === '4242');
    assert.ok(unset.length > 0 && human.length > 0, 'the sample has both');
    const noDaemons = chain([{ filter_chain: 'exclude_auid:unset' }]);
    assert.ok(unset.every((r) => noDaemons(r) === null));
    assert.ok(human.every((r) => noDaemons(r) !== null));
    const onlyHuman = chain([{ type: 'only_auid', values: [4242] }]);
    assert.equal(audit.filter((r) => onlyHuman(r)).length, human.length);
    // snoopy knows the login by name only (login:root)
    const snoopy = snoopyRecords().filter((r) => r.user?.audit?.name === 'root');
    assert.ok(snoopy.length > 100 && snoopy.every((r) => r.user!.audit!.id === undefined));
    assert.equal(snoopy.filter((r) => chain([{ filter_chain: 'exclude_auid:0' }])(r)).length, 0);
    assert.equal(snoopy.filter((r) => chain([{ filter_chain: 'only_auid:root' }])(r)).length, snoopy.length);
  });

  it('exclude_keys drops events only their listed rule keys wanted', () => {
    const f = chain([{ filter_chain: 'exclude_keys:file_open' }]);
    assert.equal(f(rec({ audit: { keys: ['file_open'] } })), null);
    assert.ok(f(rec({ audit: { keys: ['file_open', 'identity'] } })));
    assert.ok(f(rec({})));
  });

  it('exclude_exe and exclude_path take micromatch globs', () => {
    const f = chain([{ filter_chain: 'exclude_exe:/usr/lib/**,/opt/*/bin/agent;exclude_path:/proc/**,**/*.log' }]);
    assert.equal(f(rec({ process: { executable: '/usr/lib/postgresql/15/bin/psql' } })), null);
    assert.equal(f(rec({ process: { executable: '/opt/acme/bin/agent' } })), null);
    assert.ok(f(rec({ process: { executable: '/usr/bin/psql' } })));
    assert.equal(f(rec({ file: { path: '/proc/1/status' } })), null);
    assert.equal(f(rec({ file: { path: '/var/log/.hidden/x.log' } })), null);
    assert.ok(f(rec({ file: { path: '/etc/passwd' } })));
  });
});

describe('structured match / drop', () => {
  it('drops file events under /proc and /sys from uid 992 without code', () => {
    const f = chain([{ type: 'drop', where: { 'event.category': 'file', 'file.path': ['/proc/**', '/sys/**'], 'user.id': 992 } }]);
    const file = (path: string, uid: string) =>
      rec({ event: { module: 'auditd', action: 'opened-file', category: ['file'] }, file: { path }, user: { id: uid } });
    assert.equal(f(file('/proc/self/status', '992')), null);
    assert.equal(f(file('/sys/kernel/mm/x', '992')), null);
    assert.ok(f(file('/etc/shadow', '992')));
    assert.ok(f(file('/proc/self/status', '0')));
  });

  it('compares numbers, checks existence, ORs a list of groups', () => {
    const audit = auditRecords();
    const failures = chain([{ type: 'match', where: { 'audit.exit': { lt: 0 }, 'audit.errno': { exists: true } } }]);
    const kept = audit.filter((r) => failures(r));
    assert.ok(kept.length > 0);
    assert.ok(kept.every((r) => (r.audit!.exit as number) < 0));
    const either = chain([{ type: 'match', where: [{ 'process.name': 'curl' }, { 'process.name': 'wget', 'event.action': 'exec*' }] }]);
    const names = new Set(audit.filter((r) => either(r)).map((r) => `${r.process!.name}/${r.event.action}`));
    assert.ok(names.has('curl/executed') && names.has('wget/executed'));
    assert.ok(
      [...names].every((n) => n.startsWith('curl/') || n === 'wget/executed'),
      [...names].join(' '),
    );
    const gte = chain([{ type: 'match', where: { 'process.pid': { gte: 14000, lt: 14100 } } }]);
    assert.ok(audit.filter((r) => gte(r)).every((r) => r.process!.pid! >= 14000 && r.process!.pid! < 14100));
  });

  it('reports bad conditions with their config path', () => {
    configErr(() => chain([{ type: 'drop', where: { 'audit.exit': { around: 3 } } }]), /filters\[0\]\.where\.audit\.exit\.around: unknown operator/);
    configErr(() => chain([{ type: 'drop', where: { 'audit.exit': { lt: 'x' } } }]), /filters\[0\]\.where\.audit\.exit\.lt: expected a number/);
    configErr(() => chain([{ type: 'match', where: { 'process.name': { regex: '(' } } }]), /invalid regular expression/);
  });
});

describe('filters in the config file', () => {
  it('validates every filter item against its schema, unknown keys rejected', () => {
    const ok = checkConfig(
      {
        filters: [
          { filter_chain: 'exclude_uid:992;exclude_spawns_of:crond' },
          { type: 'exclude_comm', values: ['mysql', 'mongo'] },
          { type: 'drop', where: { 'file.path': '/proc/**' } },
          { type: 'redact', rules: [{ pattern: 'employee-(\\d+)' }] },
          { type: 'throttle', key: ['event.action', 'user.id'], rate: 5, burst: 20 },
        ],
      },
      'test.yaml',
    );
    assert.equal(ok.filters.length, 5);
    const filters = buildFilterChain(ok.filters, ctx);
    assert.deepEqual(
      filters.map((f) => f.name),
      ['process_table', 'filter_chain(exclude_uid:992;exclude_spawns_of:crond)', 'exclude_comm', 'drop(filters[2])', 'redact', 'throttle'],
    );
    configErr(() => checkConfig({ filters: [{ type: 'throttle', rate: 5, brust: 20 }] }, 'test.yaml'), /filters\[0\]\.brust: unknown key/);
    configErr(() => checkConfig({ filters: [{ type: 'redact', rules: [{ pattern: 'x', flag: 'i' }] }] }, 'test.yaml'), /rules\[0\]\.flag: unknown key/);
    configErr(() => checkConfig({ filters: [{ type: 'sample' }] }, 'test.yaml'), /unknown type "sample"/);
  });

  it('checks items built without the config loader too', () => {
    configErr(() => buildFilterChain([{ type: 'filter_chain', filter_chain: 12 }], ctx), /filters\[0\]\.filter_chain: must be string/);
    configErr(() => buildFilterChain([{ type: 'throttle', burst: 0 }], ctx), /filters\[0\]\.burst: must be >= 1/);
    configErr(() => buildFilterChain([{ type: 'redact', enable: false }], ctx), /filters\[0\]\.enable: unknown key/);
  });

  it('every filter type has a closed schema', () => {
    for (const d of filterDefs) {
      assert.equal(d.schema.additionalProperties, false, d.type);
      assert.deepEqual((d.schema.properties as { type: unknown }).type, { const: d.type });
    }
    assert.deepEqual(normalizeFilterItem({ filter_chain: 'only_root' }), { type: 'filter_chain', filter_chain: 'only_root' });
  });
});
