// exclude_keys: drop events that fired only for audit rules with these keys (-k). An event that
// also carries a key not in the list is kept: another rule wanted it.
import { PredicateFilter } from './predicate.js';
import { splitList } from './list.js';

export function excludeKeys(arg: string): PredicateFilter {
  const keys = new Set(splitList(arg));
  return new PredicateFilter(
    'exclude_keys',
    (rec) => {
      const ks = rec.audit?.keys;
      if (ks === undefined || ks.length === 0) return true;
      for (let i = 0; i < ks.length; i++) if (!keys.has(ks[i])) return true;
      return false;
    },
    true,
  );
}
