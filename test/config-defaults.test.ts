// Every component built from its minimal config gets every default its schema documents: the
// runtime never sees `undefined` where the README promises a value.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkConfig } from '../src/config/load.js';
import { buildComponent, resolveComponent } from '../src/config/resolve.js';
import { inputDefs } from '../src/inputs/index.js';
import { outputDefs } from '../src/outputs/index.js';
import { filterDefs } from '../src/filters/index.js';
import { silentLogger } from '../src/log.js';
import type { ComponentDef } from '../src/pipeline/types.js';
import { tempDir } from './support/io.js';

const dir = tempDir('af-defaults-');
const minimal: Record<string, Record<string, unknown>> = {
  netlink: {},
  auditlog: { path: join(dir, 'audit.log') },
  snoopy: { path: join(dir, 'snoopy.log') },
  bash: { path: join(dir, '*', '.bash_history') },
  stdout: {},
  file: { path: join(dir, 'events.jsonl') },
  syslog: {},
  elasticsearch: { url: 'http://127.0.0.1:9200' },
  'input audit_remote': { listen: '127.0.0.1:60' },
  'output audit_remote': { servers: ['127.0.0.1:60'] },
  'input relp': { listen: '127.0.0.1:2514' },
  'output relp': { servers: ['127.0.0.1:2514'] },
  redis: { url: 'redis://127.0.0.1:6379/0', key: 'auditflow' },
  filter_chain: { filter_chain: 'exclude_uid:992' },
  match: { where: { 'user.id': '0' } },
  drop: { where: { 'user.id': '0' } },
};
// keyed by type, or by `kind type` where an input and an output share a type name
const minimalOf = (def: ComponentDef<unknown>, kind = '') => ({ type: def.type, ...(minimal[`${kind} ${def.type}`] ?? minimal[def.type] ?? {}) });

/** `default` of every property of the schema, nested objects included, as [path, value]. */
function documentedDefaults(schema: any, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, prop] of Object.entries<any>(schema.properties ?? {})) {
    if (prop && 'default' in prop) out.push([prefix + key, prop.default]);
    if (prop?.type === 'object' && prop.properties && 'default' in prop) out.push(...documentedDefaults(prop, `${prefix}${key}.`));
  }
  return out;
}
const at = (obj: any, path: string) => path.split('.').reduce((o, k) => o?.[k], obj);

describe('config defaults reach every component', () => {
  const ctx = { stateDir: join(dir, 'state'), hostName: 'test', log: silentLogger };
  for (const [kind, defs] of [
    ['input', inputDefs],
    ['output', outputDefs],
    ['filter', filterDefs],
  ] as const) {
    for (const def of defs as ComponentDef<unknown>[]) {
      it(`${kind} ${def.type}: its minimal config resolves with every schema default and builds`, () => {
        const { config } = resolveComponent<Record<string, unknown>>(def, minimalOf(def, kind), `${kind}s[0]`);
        for (const [path, value] of documentedDefaults(def.schema)) {
          if (path.split('.')[0] in minimalOf(def, kind)) continue; // set by the minimal config itself
          assert.deepEqual(at(config, path), value, `${def.type}.${path}`);
        }
        const built = buildComponent(defs as ComponentDef<unknown>[], minimalOf(def, kind), ctx, `${kind}s[0]`);
        assert.ok(built, `${def.type} built`);
      });
    }
  }

  it('the tail inputs document the settings their tailer runs with', () => {
    for (const type of ['auditlog', 'snoopy', 'bash']) {
      const def = inputDefs.find((d) => d.type === type)!;
      const { config } = resolveComponent<Record<string, unknown>>(def, minimalOf(def), 'inputs[0]');
      assert.equal(config.poll_interval_ms, 250, type);
      assert.equal(config.checkpoint_interval_ms, 1000, type);
      assert.equal(config.max_line_bytes, 1048576, type);
      assert.equal(config.start_at, 'beginning', type);
    }
  });

  it('the loader fills the top level and every list item, and leaves the document alone', () => {
    const doc = { inputs: [{ type: 'snoopy', path: '/var/log/snoopy.log' }], outputs: [{ type: 'file', path: '/tmp/x.jsonl' }] };
    const before = structuredClone(doc);
    const cfg = checkConfig(doc, 'test.yaml');
    assert.deepEqual(doc, before);
    assert.equal(cfg.shutdown_timeout_ms, 10_000);
    assert.equal(cfg.error_records, false);
    assert.equal(cfg.inputs[0].poll_interval_ms, 250);
    assert.deepEqual(cfg.warnings, []);
  });

  it('accepts an old key spelling with a warning naming it, and refuses both spellings at once', () => {
    const def: ComponentDef<unknown> = {
      type: 'x',
      schema: { type: 'object', additionalProperties: false, properties: { type: { const: 'x' }, keep_original: { type: 'boolean', default: false } } },
      aliases: { include_original: 'keep_original' },
      build: (c) => c,
    };
    const r = resolveComponent<Record<string, unknown>>(def, { type: 'x', include_original: true }, 'inputs[2]');
    assert.equal(r.config.keep_original, true);
    assert.equal('include_original' in r.config, false);
    assert.deepEqual(r.warnings, ['inputs[2].include_original: renamed to keep_original; the old spelling is still accepted']);
    assert.throws(
      () => resolveComponent(def, { type: 'x', include_original: true, keep_original: false }, 'inputs[2]'),
      /inputs\[2\]\.include_original: old spelling of keep_original, which is also set/,
    );
  });

  it('every output takes a queue: key', () => {
    for (const def of outputDefs) {
      const { config } = resolveComponent<Record<string, unknown>>(def, { ...minimalOf(def, 'output'), queue: { when_full: 'drop_oldest' } }, 'outputs[0]');
      assert.deepEqual(config.queue, { when_full: 'drop_oldest' }, def.type);
    }
  });
});
