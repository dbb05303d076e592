// exclude_uid, only_uid, only_root: snoopy's filters on the real uid (getuid(), the record's
// user.id). A record without a uid cannot be shown to match: exclude_* keeps it, only_* drops it.
import { PredicateFilter } from './predicate.js';
import { resolveUids, splitList } from './list.js';

export function excludeUid(arg: string, where: string): PredicateFilter {
  const uids = resolveUids(splitList(arg), where);
  return new PredicateFilter(
    'exclude_uid',
    (rec) => {
      const id = rec.user?.id;
      return id === undefined || !uids.has(id);
    },
    true,
  );
}

export function onlyUid(arg: string, where: string): PredicateFilter {
  const uids = resolveUids(splitList(arg), where);
  return new PredicateFilter(
    'only_uid',
    (rec) => {
      const id = rec.user?.id;
      return id !== undefined && uids.has(id);
    },
    true,
  );
}

export function onlyRoot(): PredicateFilter {
  return new PredicateFilter('only_root', (rec) => rec.user?.id === '0', true);
}
