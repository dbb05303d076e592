// Parsed rules → the kernel, like `auditctl -R`: in order, stopping at the first error unless
// -i (ignore) or -c (continue, fail at the end) came first. -e 2 locks the audit configuration
// until reboot, so it is refused unless the caller explicitly forces it. Parsing and encoding
// are src/audit/rules' job; this is the part that talks to a kernel client.

import type { AuditClient } from '../netlink/client.js';
import { NetlinkError } from '../netlink/client.js';
import { AUDIT_FEATURE_LOGINUID_IMMUTABLE } from '../netlink/status.js';
import { AUDIT_KEY_SEPARATOR, F } from '../audit/rules/constants.js';
import { decodeRule, encodeRule, storedForm } from '../audit/rules/encode.js';
import { RuleError, type RuleCommand } from '../audit/rules/parse.js';
import type { RuleEntry } from '../audit/rules/load.js';
import type { AuditRule } from '../audit/rules/rule.js';

export interface ApplyOptions {
  forceImmutable?: boolean;
  /** -i from the command line */
  ignoreErrors?: boolean;
  /** -c from the command line */
  continueOnError?: boolean;
  /** told of every command the kernel accepted (the daemon remembers its rules to remove them) */
  onApplied?: (cmd: RuleCommand) => void;
  /**
   * A rule the kernel already holds counts as added (a daemon restarted after a crash finds its
   * own rules still loaded) instead of failing with EEXIST.
   */
  existingIsOk?: boolean;
  /**
   * Rules the kernel holds, as it lists them (hex of the bytes): one of these is not sent again.
   * Needed for -A rules: the kernel drops the prepend flag once a rule is in, so sending it again
   * would not be EEXIST but a second copy.
   */
  present?: Set<string>;
}

export interface ApplyResult {
  added: number;
  deleted: number;
  settings: number;
  errors: RuleError[];
  /** true when loading stopped early at an error */
  aborted: boolean;
  /** false when an error happened that -c says to report at the end */
  ok: boolean;
}

function keyOf(rule: AuditRule): string[] {
  const f = rule.fields.find((x) => x.field === F.FILTERKEY);
  return f?.str ? f.str.split(AUDIT_KEY_SEPARATOR) : [];
}

/** Deletes every rule (or those whose key contains `key`, like auditctl -D -k). Returns the count. */
export function deleteAllRules(client: AuditClient, key?: string): number {
  let n = 0;
  for (const bytes of client.listRules()) {
    if (key !== undefined && !keyOf(decodeRule(bytes)).some((k) => k.includes(key))) continue;
    client.deleteRule(bytes);
    n++;
  }
  return n;
}

export function applyCommand(client: AuditClient, cmd: RuleCommand, where: string, opts: ApplyOptions): 'added' | 'deleted' | 'settings' | 'none' {
  switch (cmd.kind) {
    case 'add':
      if (opts.present) {
        const stored = storedForm(encodeRule(cmd.rule)).toString('hex');
        if (opts.present.has(stored)) return 'added';
      }
      try {
        client.addRule(encodeRule(cmd.rule));
      } catch (err) {
        if (!(opts.existingIsOk && err instanceof NetlinkError && err.errno === 'EEXIST')) throw err;
      }
      return 'added';
    case 'delete':
      client.deleteRule(encodeRule(cmd.rule));
      opts.present?.delete(storedForm(encodeRule(cmd.rule)).toString('hex'));
      return 'deleted';
    case 'delete-all':
      deleteAllRules(client, cmd.key);
      opts.present?.clear();
      return 'deleted';
    case 'set':
      if (cmd.setting === 'enabled' && cmd.value === 2 && !opts.forceImmutable) {
        throw new RuleError(where, '-e 2 makes the audit configuration immutable until reboot; refused without --force-immutable');
      }
      client.setStatus({ [cmd.setting]: cmd.value });
      return 'settings';
    case 'loginuid-immutable':
      client.setFeature(AUDIT_FEATURE_LOGINUID_IMMUTABLE, true, true);
      return 'settings';
    case 'reset-lost':
      client.setStatus({ resetLost: true });
      return 'settings';
    default:
      return 'none';
  }
}

function describe(cmd: RuleCommand, err: NetlinkError): string {
  if (cmd.kind === 'add') return `Error sending add rule data request (${err.errno === 'EEXIST' ? 'Rule exists' : err.errno})`;
  if (cmd.kind === 'delete') return `Error sending delete rule data request (${err.errno === 'ENOENT' ? 'No rule matches' : err.errno})`;
  return err.message;
}

export function applyRules(client: AuditClient, entries: RuleEntry[], opts: ApplyOptions = {}): ApplyResult {
  const res: ApplyResult = { added: 0, deleted: 0, settings: 0, errors: [], aborted: false, ok: true };
  let ignore = !!opts.ignoreErrors || !!opts.continueOnError;
  let cont = !!opts.continueOnError;
  const failed = (e: RuleError): boolean => {
    res.errors.push(e);
    if (cont || !ignore) res.ok = false;
    if (!ignore) res.aborted = true;
    return !ignore;
  };
  for (const entry of entries) {
    if (entry instanceof RuleError) {
      if (failed(entry)) return res;
      continue;
    }
    for (const cmd of entry.commands) {
      if (cmd.kind === 'ignore-errors') {
        ignore = true;
        continue;
      }
      if (cmd.kind === 'continue-on-error') {
        ignore = true;
        cont = true;
        continue;
      }
      try {
        const what = applyCommand(client, cmd, entry.where, opts);
        if (what !== 'none') res[what]++;
        opts.onApplied?.(cmd);
      } catch (err) {
        const e =
          err instanceof RuleError
            ? err
            : err instanceof NetlinkError
              ? new RuleError(entry.where, describe(cmd, err))
              : new RuleError(entry.where, (err as Error).message);
        if (failed(e)) return res;
      }
    }
  }
  return res;
}
