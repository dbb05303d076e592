// only_tty: snoopy passes an exec only when its stdin is a terminal (ttyname_r(0)). Records carry
// that as process.tty; the kernel and snoopy both write "(none)" when there is none.
import type { NormalizedRecord } from '../record.js';
import { PredicateFilter } from './predicate.js';

export function hasTty(rec: NormalizedRecord): boolean {
  let tty = rec.process?.tty ?? rec.user?.terminal;
  // snoopy's default format writes "tty:(none) ((none)/(none))" or "tty:/dev/pts/0 (0/root)"
  if (tty === undefined && rec.snoopy?.tty !== undefined) tty = rec.snoopy.tty.split(' ', 1)[0];
  return tty !== undefined && tty !== '' && tty !== '(none)' && tty !== 'none' && tty !== '?';
}

export function onlyTty(): PredicateFilter {
  return new PredicateFilter('only_tty', hasTty, true);
}
