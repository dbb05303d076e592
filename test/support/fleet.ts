// Shared bits of the fleet tests: the real sample capture, waiting, and building components the
// way the daemon does (schema defaults applied).
import { readFileSync } from 'node:fs';
import { buildComponent } from '../../src/config/resolve.js';
import { AuditStream } from '../../src/audit/stream.js';
import { waitFor as wait } from './wait.js';
import { inputDefs } from '../../src/inputs/index.js';
import { outputDefs } from '../../src/outputs/index.js';
import type { BuildContext, Input, InputSink, Output } from '../../src/pipeline/types.js';
import type { NormalizedRecord } from '../../src/record.js';
import type { AuditflowError } from '../../src/errors.js';

export const sampleLines: string[] = readFileSync(new URL('../fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l);

/** The shared wait helper, with the longer default the fleet's multi-process runs need. */
export const waitFor = (what: string, cond: () => boolean, timeoutMs = 15000) => wait(what, cond, timeoutMs);

export const buildInput = (item: Record<string, unknown>, ctx: BuildContext): Input => buildComponent(inputDefs, item, ctx, 'inputs[0]');
export const buildOutput = (item: Record<string, unknown>, ctx: BuildContext): Output => buildComponent(outputDefs, item, ctx, 'outputs[0]');

/**
 * The sample as a host's pipeline hands it over: normalized events with their records, in the
 * order reassembly emits them. `host` is stamped into host.name, and with `node` also into every
 * line as auditd's node= prefix.
 */
export function sampleEvents(host?: string, opts: { node?: boolean } = {}): NormalizedRecord[] {
  const out: NormalizedRecord[] = [];
  const s = new AuditStream({
    onRecord: (r) => {
      if (r.event.action === 'lost-events') return;
      if (host !== undefined) r.host = { name: host };
      out.push(r);
    },
    onError: () => {},
  });
  sampleLines.forEach((l, i) => s.line(opts.node ? `node=${host} ${l}` : l, `sample:${i + 1}`, i));
  s.flush();
  return out;
}

/** A sink that keeps what it gets and acks at once (or never, to stand for a crash). */
export function recordingSink(opts: { ack?: boolean } = {}) {
  const records: NormalizedRecord[] = [];
  const errors: AuditflowError[] = [];
  const sink: InputSink = {
    push: async (b) => {
      records.push(...b.records);
      if (opts.ack !== false) b.ack?.();
    },
    error: (e) => {
      errors.push(e);
    },
  };
  return { records, errors, sink };
}

/** Events (not auditflow's own notices) per host.name. */
export function eventsByHost(records: readonly NormalizedRecord[]): Map<string, NormalizedRecord[]> {
  const m = new Map<string, NormalizedRecord[]>();
  for (const r of records) {
    if (r.event.module !== 'auditd' || r.event.action === 'lost-events') continue;
    const h = r.host?.name ?? '';
    let l = m.get(h);
    if (!l) m.set(h, (l = []));
    l.push(r);
  }
  return m;
}
