// The daemon's view of the component registries: only the input and output types its config
// names are loaded (src/inputs/registry.ts, src/outputs/registry.ts), then the config is
// validated and preflighted against those, as check-config does against all of them.
import { inputLoaders } from '../inputs/registry.js';
import { outputLoaders } from '../outputs/registry.js';
import { filterDefs } from '../filters/index.js';
import { parseListen } from '../metrics/config.js';
import type { BuildContext, ComponentDef } from '../pipeline/types.js';
import { checkWritablePath } from './preflight.js';
import { checkConfigWith, readConfigDoc, type Config, type Registries } from './validate.js';

/** The `type:` values of a config list (a document's or a validated config's), unvalidated. */
function typesIn(list: unknown): unknown[] {
  return Array.isArray(list) ? list.map((item) => (item !== null && typeof item === 'object' ? (item as { type?: unknown }).type : undefined)) : [];
}

async function load<T>(loaders: Record<string, () => Promise<ComponentDef<T>>>, list: unknown): Promise<ComponentDef<T>[]> {
  const names = [...new Set(typesIn(list))].filter((t): t is string => typeof t === 'string' && Object.hasOwn(loaders, t));
  return Promise.all(names.map((t) => loaders[t]()));
}

/** The input and output types a config (document) names, loaded; filters are always all there. */
export async function registriesFor(doc: unknown): Promise<Registries> {
  const d = (doc ?? {}) as { inputs?: unknown; outputs?: unknown };
  // no outputs key: the schema's default output (stdout)
  const outputs = d.outputs === undefined ? [{ type: 'stdout' }] : d.outputs;
  return { inputs: await load(inputLoaders, d.inputs), filters: filterDefs, outputs: await load(outputLoaders, outputs) };
}

/** A config file validated against the types it names; what the daemon builds from. */
export async function loadConfigNeeded(path: string | URL): Promise<{ config: Config; registries: Registries }> {
  const { doc, source } = readConfigDoc(path);
  const registries = await registriesFor(doc);
  const known = { inputs: Object.keys(inputLoaders), outputs: Object.keys(outputLoaders) };
  return { config: checkConfigWith(doc, source, registries, known), registries };
}

/** Everything `run` needs from outside, checked without starting: state_dir, then each component. */
export function preflightWith(config: Config, ctx: BuildContext, registries: Registries): void {
  checkWritablePath('state_dir', config.state_dir, 'dir');
  if (config.pid_file) checkWritablePath('pid_file', config.pid_file, 'file');
  if (config.metrics?.listen) parseListen(config.metrics.listen);
  for (const key of ['inputs', 'filters', 'outputs'] as const) {
    const defs = registries[key] as ComponentDef<unknown>[];
    config[key].forEach((item, i) => {
      defs.find((d) => d.type === item.type)?.preflight?.(item, `${key}[${i}]`, ctx);
    });
  }
}
