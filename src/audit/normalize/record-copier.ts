// Copies of one normalized record with another time and serial, for the events of a shape that
// repeats (the normalizer's templates: same record types, node and bodies, same record but for
// @timestamp and event.sequence). A generic deep copy walks keys it cannot predict and measured as slow as
// normalizing again; a function made for the one record's layout builds it from object and array
// literals, each value read from a flat list, as fast as V8 makes objects.

type Copier = (time: string, serial: number) => object;

/**
 * A copier for `rec` (plain objects, arrays and primitives only), or undefined for anything else
 * (a class instance, a function, a `__proto__` key, which an object literal would not keep).
 * Every copy is new all through: changing one changes no other.
 */
export function recordCopier(rec: object): Copier | undefined {
  const values: unknown[] = [];
  const source = literal(rec, values, ROOT);
  if (source === undefined) return undefined;
  return new Function('v', 'time', 'serial', `return ${source};`).bind(undefined, values) as Copier;
}

/** Where a value sits: the record itself, its event, or anywhere else. */
const ROOT = 0,
  EVENT = 1,
  INNER = 2;

/** JS source that makes `v` again: values read from `values`, @timestamp and sequence the parameters. */
function literal(v: unknown, values: unknown[], at: number): string | undefined {
  if (typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (typeof v !== 'object' || v === null) {
    values.push(v);
    return `v[${values.length - 1}]`;
  }
  if (Array.isArray(v)) {
    const items: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const s = literal(v[i], values, INNER);
      if (s === undefined) return undefined;
      items.push(s);
    }
    return `[${items.join(',')}]`;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return undefined;
  const props: string[] = [];
  for (const k in v) {
    if (k === '__proto__') return undefined;
    let s: string | undefined;
    if (at === ROOT && k === '@timestamp') s = 'time';
    else if (at === EVENT && k === 'sequence') s = 'serial';
    else s = literal((v as Record<string, unknown>)[k], values, at === ROOT && k === 'event' ? EVENT : INNER);
    if (s === undefined) return undefined;
    props.push(`${JSON.stringify(k)}:${s}`);
  }
  return `{${props.join(',')}}`;
}
