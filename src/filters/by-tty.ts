// only_tty: snoopy passes an exec only when its stdin is a terminal (ttyname_r(0)). Records carry
// that as process.tty; the kernel and snoopy both write "(none)" when there is none.
import type { NormalizedRecord } from '../record.js';
import { PredicateFilter } from './predicate.js';

export function hasTty(rec: NormalizedRecord): boolean {
  const tty = rec.process?.tty ?? rec.user?.terminal;
  return tty !== undefined && tty !== '' && tty !== '(none)' && tty !== 'none' && tty !== '?';
}

export function onlyTty(): PredicateFilter {
  return new PredicateFilter('only_tty', hasTty);
}
