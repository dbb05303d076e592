// exclude_comm (arstercz's snoopy fork) and only_comm: the command's name. arstercz compares the
// basename of the executed file, which is what the kernel puts in comm (process.name), cut to 15
// bytes; a configured long name therefore also matches its 15-byte cut.
import type { NormalizedRecord } from '../record.js';
import { baseName } from './fields.js';
import { PredicateFilter } from './predicate.js';
import { splitList } from './list.js';

const COMM_LEN = 15;

export function commOf(rec: NormalizedRecord): string | undefined {
  const p = rec.process;
  if (p === undefined) return undefined;
  if (p.name !== undefined) return p.name;
  if (p.executable !== undefined) return baseName(p.executable);
  const a0 = p.args?.[0];
  return a0 === undefined ? undefined : baseName(a0);
}

function commMatcher(arg: string): (rec: NormalizedRecord) => boolean | undefined {
  const names = new Set<string>();
  for (const n of splitList(arg)) {
    names.add(n);
    if (n.length > COMM_LEN) names.add(n.slice(0, COMM_LEN));
  }
  return (rec) => {
    const comm = commOf(rec);
    return comm === undefined ? undefined : names.has(comm);
  };
}

export function excludeComm(arg: string): PredicateFilter {
  const m = commMatcher(arg);
  return new PredicateFilter('exclude_comm', (rec) => m(rec) !== true, true);
}

export function onlyComm(arg: string): PredicateFilter {
  const m = commMatcher(arg);
  return new PredicateFilter('only_comm', (rec) => m(rec) === true, true);
}
