// Reads a YAML or JSON config, fills defaults and validates it once against the schema built
// from the component registries it is given. Every problem is reported with the path of the key
// it is about. src/config/load.ts validates against every component type; the daemon against
// only those its config names (src/config/registries.ts), so it loads no others.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configError } from '../errors.js';
import { normalizeFilterItem } from '../filters/index.js';
import type { ComponentDef, Filter, Input, Output } from '../pipeline/types.js';
import { topSchema } from './schema.js';
import { compile, describeErrors, tryResolve } from './resolve.js';
import type { MetricsConfig } from '../metrics/config.js';
import type { EnrichConfig } from '../context/config.js';
import { packageRoot } from '../paths.js';

/** A component's resolved config: its schema's defaults filled in. */
export interface ComponentConfig {
  type: string;
  [k: string]: unknown;
}

export interface Config {
  state_dir: string;
  log_level: 'debug' | 'info' | 'warn' | 'error';
  pid_file?: string;
  host: { name?: string; id?: string; fields?: Record<string, string | number | boolean> };
  inputs: ComponentConfig[];
  filters: ComponentConfig[];
  outputs: ComponentConfig[];
  shutdown_timeout_ms: number;
  /** nice decrement taken at start (schema default 4, as auditd's) */
  priority_boost: number;
  error_records: boolean;
  metrics?: MetricsConfig;
  /** context from the process table (src/context/); schema defaults fill it */
  enrich: EnrichConfig;
  /** worker lanes for an audit.log input (src/daemon.ts laneCount); schema default 0 */
  threads: number;
  /** old spellings that were accepted, each naming its key: the caller logs them */
  warnings: string[];
}

/** The component types a config is validated against and built from. */
export interface Registries {
  inputs: ComponentDef<Input>[];
  filters: ComponentDef<Filter>[];
  outputs: ComponentDef<Output>[];
}

export const defaultConfigPath = (): string => join(packageRoot(), 'config', 'default.yaml');

/**
 * Validates a parsed document, fills every default (top level and each component's own) and
 * renames old key spellings; throws one AF_ERR_CONFIG listing every problem, each naming its key.
 * `known`: every type name of each list, for the message about an unknown one.
 */
export function checkConfigWith(doc: unknown, source: string, registries: Registries, known?: Partial<Record<keyof Registries, string[]>>): Config {
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw configError(source, 'the config must be a mapping of keys');
  const d = structuredClone(doc) as Record<string, unknown>;
  if (Array.isArray(d.filters)) d.filters = d.filters.map(normalizeFilterItem);
  const validate = compile(topSchema);
  const problems = validate(d) ? [] : describeErrors(validate.errors ?? [], '');
  const warnings: string[] = [];
  for (const key of ['inputs', 'filters', 'outputs'] as const) {
    if (!Array.isArray(d[key])) continue;
    const defs = registries[key] as ComponentDef<unknown>[];
    d[key] = (d[key] as unknown[]).map((item, i) => {
      const where = `${key}[${i}]`;
      const type = item !== null && typeof item === 'object' ? (item as { type?: unknown }).type : undefined;
      const def = defs.find((x) => x.type === type);
      if (def === undefined) {
        if (item !== null && typeof item === 'object') {
          problems.push(
            `${where}.type: ${type === undefined ? 'missing' : `unknown type ${JSON.stringify(type)}`} (known: ${(known?.[key] ?? defs.map((x) => x.type)).join(', ')})`,
          );
        }
        return item;
      }
      const r = tryResolve<ComponentConfig>(def, item, where);
      problems.push(...r.problems);
      warnings.push(...r.warnings);
      return r.config;
    });
  }
  if (problems.length > 0) throw configError(source, `invalid config:\n  ${[...new Set(problems)].join('\n  ')}`);
  return { ...(d as unknown as Config), warnings };
}

export function parseConfigText(text: string, source: string): unknown {
  try {
    // YAML is a superset of JSON; the YAML parser's errors carry line and column
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw configError(source, `not valid YAML/JSON: ${(err as Error).message}`);
  }
}

/** The parsed document of a config file, and the name its messages use. */
export function readConfigDoc(path: string | URL): { doc: unknown; source: string } {
  const source = path instanceof URL ? path.pathname : path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(source, `cannot read config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { doc: parseConfigText(text, source), source };
}
