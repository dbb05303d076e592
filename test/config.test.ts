import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig, loadConfig, parseConfigText } from '../src/config/load.js';
import { loadConfigNeeded, registriesFor } from '../src/config/registries.js';
import { inputDefs } from '../src/inputs/index.js';
import { inputLoaders } from '../src/inputs/registry.js';
import { outputDefs } from '../src/outputs/index.js';
import { outputLoaders } from '../src/outputs/registry.js';
import { filterDefs } from '../src/filters/index.js';
import { topSchema } from '../src/config/schema.js';
import { Ajv } from 'ajv';
import { AuditflowError } from '../src/errors.js';
import { runCli, tempDir } from './support/io.js';

function problems(yaml: string): string {
  try {
    checkConfig(parseConfigText(yaml, 'test.yaml'), 'test.yaml');
  } catch (err) {
    assert.ok(err instanceof AuditflowError);
    assert.equal(err.code, 'AF_ERR_CONFIG');
    return err.message;
  }
  assert.fail('config was accepted');
}

describe('config', () => {
  it('fills defaults for an empty file: stdout output, default state_dir', () => {
    const cfg = checkConfig(parseConfigText('', 'empty.yaml'), 'empty.yaml');
    assert.equal(cfg.state_dir, '/var/lib/auditflow');
    assert.deepEqual(cfg.outputs, [{ type: 'stdout' }]);
    assert.deepEqual(cfg.inputs, []);
  });

  it('names the key of an unknown top-level setting', () => {
    assert.match(problems('state_dirr: /tmp\n'), /state_dirr: unknown key/);
  });

  it('names the list item of an unknown output type and lists the known ones', () => {
    const msg = problems('outputs:\n  - type: stdout\n  - type: kafka\n');
    assert.match(msg, /outputs\[1\]\.type: unknown type "kafka" \(known: [^)]*stdout[^)]*file/);
  });

  it('names a wrong value inside an output', () => {
    assert.match(problems('outputs:\n  - type: file\n    path: 42\n'), /outputs\[0\]\.path: must be string/);
    assert.match(problems('outputs:\n  - type: file\n'), /outputs\[0\]\.path: required/);
    assert.match(problems('outputs:\n  - type: file\n    path: /tmp/x\n    colour: red\n'), /outputs\[0\]\.colour: unknown key/);
  });

  it('reports every problem at once', () => {
    const msg = problems('log_level: loud\nbogus: 1\n');
    assert.match(msg, /log_level: must be one of "debug", "info", "warn", "error"/);
    assert.match(msg, /bogus: unknown key/);
  });

  it('rejects YAML that does not parse, with its line', () => {
    assert.throws(() => parseConfigText('outputs:\n  - type: [file\n', 'bad.yaml'), /bad\.yaml: not valid YAML\/JSON: .*line/s);
  });

  it('reads JSON as well as YAML, and says which file it could not read', () => {
    const dir = tempDir('af-config-');
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ state_dir: dir, outputs: [{ type: 'file', path: join(dir, 'o.jsonl') }] }));
    assert.equal(loadConfig(join(dir, 'c.json')).outputs[0].type, 'file');
    assert.throws(() => loadConfig(join(dir, 'missing.yaml')), /missing\.yaml: cannot read config: ENOENT/);
  });

  it('check-config exits 0 for a good file and 78 naming the key for a bad one', async () => {
    const dir = tempDir('af-config-');
    writeFileSync(join(dir, 'good.yaml'), `state_dir: ${dir}\noutputs:\n  - type: stdout\n`);
    writeFileSync(join(dir, 'bad.yaml'), 'outputs:\n  - type: file\n    path: /tmp/x\n    mode: rw\n');
    const good = await runCli(['check-config', join(dir, 'good.yaml')]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /ok \(0 inputs, 0 filters, 1 outputs\)/);
    const bad = await runCli(['check-config', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 78);
    assert.match(bad.stderr, /outputs\[0\]\.mode: must match pattern/);
  });
});

describe('config: the daemon loads only the component types its config names', () => {
  it('the loaders hold every type check-config knows, with the same schemas', async () => {
    assert.deepEqual(Object.keys(inputLoaders).sort(), inputDefs.map((d) => d.type).sort());
    assert.deepEqual(Object.keys(outputLoaders).sort(), outputDefs.map((d) => d.type).sort());
    for (const d of inputDefs) assert.deepEqual((await inputLoaders[d.type]()).schema, d.schema);
    // outputs' schemas get the queue key in both
    for (const d of outputDefs) assert.deepEqual((await outputLoaders[d.type]()).schema, d.schema);
  });

  it('every schema is valid JSON Schema (the daemon compiles them without checking)', () => {
    const ajv = new Ajv({ strict: false, validateSchema: true });
    for (const schema of [topSchema, ...[...inputDefs, ...filterDefs, ...outputDefs].map((d) => d.schema)]) {
      assert.ok(
        ajv.validateSchema(schema),
        `${(schema as { properties?: { type?: unknown } }).properties?.type ? JSON.stringify((schema as { properties: { type: unknown } }).properties.type) : 'top'}: ${ajv.errorsText()}`,
      );
    }
    assert.equal(ajv.validateSchema({ type: 'object', properties: { a: { type: 'strnig' } } }), false, 'a broken schema is seen');
  });

  it('loads the named inputs and outputs (stdout when none is named), every filter', async () => {
    const r = await registriesFor({ inputs: [{ type: 'auditlog' }, { type: 'auditlog' }], outputs: [{ type: 'file' }, { type: 'syslog' }] });
    assert.deepEqual(
      r.inputs.map((d) => d.type),
      ['auditlog'],
    );
    assert.deepEqual(
      r.outputs.map((d) => d.type),
      ['file', 'syslog'],
    );
    assert.ok(r.filters.some((d) => d.type === 'redact'));
    assert.deepEqual(
      (await registriesFor({})).outputs.map((d) => d.type),
      ['stdout'],
    );
  });

  it('validates a file as check-config does: the same config, the same messages', async () => {
    const dir = tempDir('af-config-');
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      `state_dir: ${dir}\ninputs:\n  - { type: auditlog, path: ${dir}/audit.log, event_timeout_ms: 500 }\noutputs:\n  - { type: file, path: ${dir}/o.jsonl }\n`,
    );
    assert.deepEqual((await loadConfigNeeded(good)).config, loadConfig(good));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'outputs:\n  - type: kafka\n  - type: file\n    colour: red\n');
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as Error).message;
      }
      assert.fail('accepted');
    };
    const lazy = await loadConfigNeeded(bad).then(
      () => assert.fail('accepted'),
      (err: Error) => err.message,
    );
    assert.equal(
      lazy,
      message(() => loadConfig(bad)),
    );
    assert.match(lazy, /outputs\[0\]\.type: unknown type "kafka" \(known: stdout, file, auditlog, syslog/);
  });
});

describe('config examples', () => {
  it('every shipped config passes check-config', async () => {
    const { readdirSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const dir = fileURLToPath(new URL('../config/', import.meta.url));
    const files = ['default.yaml', ...readdirSync(join(dir, 'examples')).map((f) => join('examples', f))];
    // check-config also checks that run could work here (state dir and output paths writable):
    // the shipped configs are written for root, so another user checks what the file says only
    const asRoot = process.getuid?.() === 0;
    for (const f of files) {
      const path = join(dir, f);
      if (!asRoot) {
        assert.doesNotThrow(() => loadConfig(path), f);
        continue;
      }
      const r = await runCli(['check-config', path]);
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    }
  });

  it('check-config compiles filter chains: a misspelt filter name is named', async () => {
    const dir = tempDir('af-config-');
    writeFileSync(join(dir, 'c.yaml'), 'filters:\n  - filter_chain: "exclude_uid:992;exlude_comm:mysql"\n');
    const r = await runCli(['check-config', join(dir, 'c.yaml')]);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /filters\[0\]\.filter_chain: unknown filter "exlude_comm"/);
  });
});
