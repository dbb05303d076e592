// Dotted record paths ("process.parent.pid") turned into getters once, at config load, so the
// per-record work is a few property reads and no string splitting.
import type { NormalizedRecord } from '../record.js';

export type Getter = (rec: NormalizedRecord) => unknown;

export function compilePath(path: string): Getter {
  const parts = path.split('.');
  switch (parts.length) {
    case 1: {
      const [a] = parts;
      return (r) => (r as any)[a];
    }
    case 2: {
      const [a, b] = parts;
      return (r) => (r as any)[a]?.[b];
    }
    case 3: {
      const [a, b, c] = parts;
      return (r) => (r as any)[a]?.[b]?.[c];
    }
    default:
      return (r) => {
        let v: any = r;
        for (let i = 0; i < parts.length && v != null; i++) v = v[parts[i]];
        return v;
      };
  }
}

/** Sets a dotted path, creating the objects on the way (for summary records). */
export function setPath(obj: Record<string, any>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = obj;
  for (let i = 0; i < parts.length - 1; i++) o = o[parts[i]] ??= {};
  o[parts[parts.length - 1]] = value;
}

/** Last path component ("/usr/bin/mysql" → "mysql"). */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}
