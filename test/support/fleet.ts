// Shared bits of the fleet tests: the real sample capture, waiting, and building components the
// way the daemon does (schema defaults applied).
import { readFileSync } from 'node:fs';
import { resolveComponent } from '../../src/config/resolve.js';
import { inputDefs } from '../../src/inputs/index.js';
import { outputDefs } from '../../src/outputs/index.js';
import type { BuildContext, Input, InputSink, Output } from '../../src/pipeline/types.js';
import type { NormalizedRecord } from '../../src/record.js';
import type { AuditflowError } from '../../src/errors.js';

export const sampleLines: string[] = readFileSync(new URL('../fixtures/samples/audit-raw.sample.log', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l);

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function buildInput(item: Record<string, unknown>, ctx: BuildContext): Input {
  const def = inputDefs.find((d) => d.type === item.type)!;
  return def.build(resolveComponent(def, item, 'inputs[0]').config, ctx);
}

export function buildOutput(item: Record<string, unknown>, ctx: BuildContext): Output {
  const def = outputDefs.find((d) => d.type === item.type)!;
  return def.build(resolveComponent(def, item, 'outputs[0]').config, ctx);
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
