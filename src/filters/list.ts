// Argument lists as snoopy reads them (strtok on ','; empty items vanish) and user names or
// numbers resolved once, at config load, through the passwd table.
import { configError } from '../errors.js';
import { users, UNSET_ID } from '../users.js';

/** "a,,b," → ["a", "b"], exactly like snoopy's strtok_r(arg, ","). */
export function splitList(arg: string): string[] {
  const out: string[] = [];
  for (const item of arg.split(',')) if (item !== '') out.push(item);
  return out;
}

/**
 * uid (or auid) strings as records carry them. Numbers are taken as written (leading zeros
 * dropped); names go through /etc/passwd. snoopy would atol() a name to 0 (root) — a silent trap
 * — so an unknown name is a config error here. `unset` (auid only) is the kernel's (u32)-1.
 */
export function resolveUids(items: string[], where: string, allowUnset = false): Set<string> {
  const out = new Set<string>();
  for (const item of items) {
    if (/^\d+$/.test(item)) out.add(String(Number(item)));
    else if (allowUnset && (item === 'unset' || item === '-1')) out.add(UNSET_ID);
    else {
      const id = users().id(item);
      if (id === undefined) throw configError(where, `unknown user ${JSON.stringify(item)} (not a number and not in /etc/passwd)`);
      out.add(id);
    }
  }
  return out;
}
