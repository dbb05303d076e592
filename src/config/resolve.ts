// The one validator. Every config value a component sees passes through resolveComponent():
// its own JSON Schema, old key spellings renamed (with a warning), schema defaults filled in
// (Ajv useDefaults), and every problem reported in one format that names the key. A component's
// factory therefore never sees `undefined` for a documented default.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { configError } from '../errors.js';
import type { ComponentDef } from '../pipeline/types.js';

// useDefaults fills `default:` of properties that are absent. Defaults inside oneOf branches are
// not applied by Ajv; schemas keep their defaults on plain properties for that reason.
// validateSchema: false: the schemas are this program's own, checked against the meta-schema by
// the tests (test/config.test.ts); checking them at every start was ~40% of compiling them.
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, validateSchema: false });
const compiled = new WeakMap<object, ValidateFunction>();

export function compile(schema: Record<string, unknown>): ValidateFunction {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/** `where` + `/outputs/1/port` → `where.outputs[1].port` */
export function keyPath(where: string, pointer: string): string {
  let out = where;
  for (const part of pointer.split('/').slice(1)) {
    const p = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  }
  return out || '(top level)';
}

const join = (path: string, key: string) => (path === '(top level)' ? key : `${path}.${key}`);

/** One line per problem, each starting with the key it is about. */
export function describeErrors(errors: readonly ErrorObject[], where: string): string[] {
  const lines: string[] = [];
  for (const e of errors) {
    const path = keyPath(where, e.instancePath);
    let line: string;
    switch (e.keyword) {
      case 'additionalProperties':
        line = `${join(path, (e.params as { additionalProperty: string }).additionalProperty)}: unknown key`;
        break;
      case 'required':
        line = `${join(path, (e.params as { missingProperty: string }).missingProperty)}: required`;
        break;
      case 'enum':
        line = `${path}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'oneOf':
      case 'anyOf':
        // the branch errors above already say what is wrong; this adds nothing
        continue;
      default:
        line = `${path}: ${e.message}`;
    }
    if (!lines.includes(line)) lines.push(line);
  }
  return lines;
}

export interface Resolved<T> {
  config: T;
  /** old spellings that were renamed, each naming the key */
  warnings: string[];
}

// Items already resolved (the loader resolves every item; the daemon builds from those) are not
// validated a second time.
const resolvedItems = new WeakSet<object>();

/** Like resolveComponent, but returns the problems (one line each) instead of throwing. */
export function tryResolve<T>(def: ComponentDef<unknown>, item: unknown, where: string): Resolved<T> & { problems: string[] } {
  if (item !== null && typeof item === 'object' && resolvedItems.has(item)) return { config: item as T, warnings: [], problems: [] };
  if (item === null || typeof item !== 'object' || Array.isArray(item))
    return { config: item as T, warnings: [], problems: [`${where}: expected a mapping of keys`] };
  const copy = structuredClone(item) as Record<string, unknown>;
  const warnings: string[] = [];
  const problems: string[] = [];
  for (const [old, now] of Object.entries(def.aliases ?? {})) {
    if (!(old in copy)) continue;
    if (now in copy) {
      problems.push(`${where}.${old}: old spelling of ${now}, which is also set: keep only ${now}`);
      continue;
    }
    copy[now] = copy[old];
    delete copy[old];
    warnings.push(`${where}.${old}: renamed to ${now}; the old spelling is still accepted`);
  }
  const validate = compile(def.schema);
  if (!validate(copy)) problems.push(...describeErrors(validate.errors ?? [], where));
  if (problems.length === 0) resolvedItems.add(copy);
  return { config: copy as T, warnings, problems };
}

/**
 * The component's config, validated against its schema with defaults applied. The caller's object
 * is not changed. Throws one AF_ERR_CONFIG listing every problem, each naming its key under `where`.
 */
export function resolveComponent<T>(def: ComponentDef<unknown>, item: unknown, where: string): Resolved<T> {
  const r = tryResolve<T>(def, item, where);
  if (r.problems.length) throw configError(where, `invalid config:\n  ${r.problems.join('\n  ')}`);
  return { config: r.config, warnings: r.warnings };
}

/** Resolves the item (unless it already was) and builds the component from it. */
export function buildComponent<T, C>(defs: readonly ComponentDef<T>[], item: unknown, ctx: C, where: string): T {
  const type = item !== null && typeof item === 'object' ? (item as { type?: unknown }).type : undefined;
  const def = defs.find((d) => d.type === type);
  if (def === undefined) {
    throw configError(
      `${where}.type`,
      `${type === undefined ? 'missing' : `unknown type ${JSON.stringify(type)}`} (known: ${defs.map((d) => d.type).join(', ')})`,
    );
  }
  return def.build(resolveComponent(def as ComponentDef<unknown>, item, where).config, ctx as never);
}
