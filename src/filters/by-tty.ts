// only_tty: snoopy passes an exec only when its stdin is a terminal (ttyname_r(0)). Records carry
// that as process.tty (absent when the kernel or snoopy wrote "(none)").
import type { NormalizedRecord } from '../record.js';
import { PredicateFilter } from './predicate.js';

export function hasTty(rec: NormalizedRecord): boolean {
  if (rec.process?.tty !== undefined) return true; // ECS: the terminal's device numbers
  const data = rec.audit?.data?.tty; // a terminal with no device numbers known here
  let tty = rec.user?.terminal ?? (typeof data === 'string' ? data : undefined);
  // snoopy's default format writes "tty:(none) ((none)/(none))" or "tty:/dev/pts/0 (0/root)"
  if (tty === undefined && rec.snoopy?.tty !== undefined) tty = rec.snoopy.tty.split(' ', 1)[0];
  return tty !== undefined && tty !== '' && tty !== '(none)' && tty !== 'none' && tty !== '?';
}

export function onlyTty(): PredicateFilter {
  return new PredicateFilter('only_tty', hasTty, true);
}
