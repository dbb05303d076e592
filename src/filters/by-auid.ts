// exclude_auid / only_auid: the login uid (user.audit.id), which survives su and sudo, so
// "everything alice did since she logged in" or, with `unset`, "everything daemons did".
import { UNSET_ID, users } from '../users.js';
import type { NormalizedRecord } from '../record.js';
import { PredicateFilter } from './predicate.js';
import { resolveUids, splitList } from './list.js';

function auidOf(rec: NormalizedRecord): string | undefined {
  const a = rec.user?.audit;
  if (a === undefined) return undefined;
  if (a.id !== undefined) return a.id === '-1' ? UNSET_ID : a.id;
  if (a.name === undefined) return undefined;
  // snoopy's login: is a name only
  return a.name === 'unset' ? UNSET_ID : users().id(a.name);
}

export function excludeAuid(arg: string, where: string): PredicateFilter {
  const ids = resolveUids(splitList(arg), where, true);
  return new PredicateFilter(
    'exclude_auid',
    (rec) => {
      const id = auidOf(rec);
      return id === undefined || !ids.has(id);
    },
    true,
  );
}

export function onlyAuid(arg: string, where: string): PredicateFilter {
  const ids = resolveUids(splitList(arg), where, true);
  return new PredicateFilter(
    'only_auid',
    (rec) => {
      const id = auidOf(rec);
      return id !== undefined && ids.has(id);
    },
    true,
  );
}
