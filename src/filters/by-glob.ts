// exclude_exe / exclude_path: micromatch globs on process.executable and file.path, compiled once.
import micromatch from 'micromatch';
import { PredicateFilter } from './predicate.js';
import { splitList } from './list.js';
import { compilePath } from './fields.js';

function globFilter(name: string, path: string, arg: string): PredicateFilter {
  const matchers = splitList(arg).map((g) => micromatch.matcher(g, { dot: true }));
  const isMatch = (s: string): boolean => {
    for (let i = 0; i < matchers.length; i++) if (matchers[i](s)) return true;
    return false;
  };
  const get = compilePath(path);
  return new PredicateFilter(
    name,
    (rec) => {
      const v = get(rec);
      return typeof v !== 'string' || !isMatch(v);
    },
    true,
  );
}

export const excludeExe = (arg: string): PredicateFilter => globFilter('exclude_exe', 'process.executable', arg);
export const excludePath = (arg: string): PredicateFilter => globFilter('exclude_path', 'file.path', arg);
