// Which of auditflow's line formats a file holds, from its first lines: `normalize` picks its
// parser with it, and the daemon's file inputs use it to say when a file does not look like what
// the input's type expects (a snoopy input pointed at an audit.log reads nothing useful).

import { looksLikeSnoopy } from '../snoopy/parse.js';
import { looksLikeBashHistory } from '../bash/parse.js';

export type LineFormat = 'auditlog' | 'snoopy' | 'bash';

/** How many non-empty lines the guess looks at (what to collect before asking). */
export const SNIFF_LINES = 8;

const AUDIT_RECORD = /^(node=\S+ )?type=\S+ msg=audit\(/;

/** Guesses the format from a file's first lines (undefined: none of them, or too little to tell). */
export function sniffFormat(firstLines: readonly string[]): LineFormat | undefined {
  const lines = firstLines.filter((l) => l.trim().length > 0).slice(0, SNIFF_LINES);
  if (lines.length === 0) return undefined;
  if (lines.some((l) => AUDIT_RECORD.test(l))) return 'auditlog';
  if (looksLikeSnoopy(lines)) return 'snoopy';
  if (looksLikeBashHistory(lines)) return 'bash';
  return undefined;
}

/** Whether enough lines were seen to guess (else read on, up to the end of the input). */
export const enoughToSniff = (lines: readonly string[]): boolean => lines.reduce((n, l) => (l.trim().length > 0 ? n + 1 : n), 0) >= SNIFF_LINES;

export const formatNames: Record<LineFormat, string> = { auditlog: 'an audit.log', snoopy: 'a snoopy log', bash: 'a bash history' };
