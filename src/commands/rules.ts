// `auditflow rules load FILE|DIR... | list [-k KEY] | delete-all [-k KEY] | apply AUDITCTL-ARGS...`
// The auditctl -R / -l / -D of auditflow; `apply` takes one auditctl command line (-b 8192,
// -e 1, -a always,exit ...).

import { AuditClient } from '../netlink/client.js';
import { usageError } from '../errors.js';
import { loadRules } from '../audit/rules/load.js';
import { applyRules, deleteAllRules, type ApplyOptions, type ApplyResult } from '../kernel/apply-rules.js';
import { decodeRule } from '../audit/rules/encode.js';
import { printRules } from '../audit/rules/print.js';
import { parseRuleArgs, RuleError } from '../audit/rules/parse.js';
import { AUDIT_KEY_SEPARATOR, F } from '../audit/rules/constants.js';
import { runWithCliIO, type CommandIO } from './status.js';
import type { Command } from './types.js';

const defaultIO: CommandIO = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

const usage = 'usage: auditflow rules load [--force-immutable] [-i|-c] FILE|DIR... | list [-k KEY] | delete-all [-k KEY] | apply AUDITCTL-ARGS...';

/** Loads rules files into the kernel; errors are reported on stderr like auditctl's. */
export function loadRulesIntoKernel(client: AuditClient, targets: string[], opts: ApplyOptions, io: CommandIO): ApplyResult {
  const loaded = loadRules(targets);
  for (const e of loaded.entries) if (!(e instanceof RuleError)) for (const w of e.warnings) io.stderr(`${e.where}: ${w}\n`);
  const res = applyRules(client, loaded.entries, opts);
  for (const e of res.errors) io.stderr(`auditflow rules: ${e.message}\n`);
  return res;
}

/** `auditctl -l` text for what the kernel holds now (optionally only rules whose key contains KEY). */
export function listKernelRules(client: AuditClient, key?: string): string {
  let rules = client.listRules().map(decodeRule);
  if (key !== undefined) {
    rules = rules.filter((r) => r.fields.some((f) => f.field === F.FILTERKEY && (f.str ?? '').split(AUDIT_KEY_SEPARATOR).some((k) => k.includes(key))));
  }
  return printRules(rules);
}

export async function rulesCommand(args: string[], io: CommandIO = defaultIO): Promise<number> {
  const [sub, ...rest] = args;
  const keyArg = (): string | undefined => {
    if (rest.length === 0) return undefined;
    if (rest.length === 2 && rest[0] === '-k') return rest[1];
    throw usageError(usage);
  };
  switch (sub) {
    case 'load': {
      const opts: ApplyOptions = {};
      const targets: string[] = [];
      for (const a of rest) {
        if (a === '--force-immutable') opts.forceImmutable = true;
        else if (a === '-i') opts.ignoreErrors = true;
        else if (a === '-c') opts.continueOnError = true;
        else targets.push(a);
      }
      if (targets.length === 0) throw usageError(usage);
      const client = new AuditClient();
      try {
        const res = loadRulesIntoKernel(client, targets, opts, io);
        return res.ok ? 0 : 1;
      } finally {
        client.close();
      }
    }
    case 'list': {
      const key = keyArg();
      const client = new AuditClient();
      try {
        io.stdout(listKernelRules(client, key));
        return 0;
      } finally {
        client.close();
      }
    }
    case 'delete-all': {
      const key = keyArg();
      const client = new AuditClient();
      try {
        deleteAllRules(client, key);
        io.stdout(listKernelRules(client, key));
        return 0;
      } finally {
        client.close();
      }
    }
    case 'apply': {
      const forced = rest.includes('--force-immutable');
      const words = rest.filter((a) => a !== '--force-immutable');
      if (words.length === 0) throw usageError(usage);
      let line;
      try {
        line = parseRuleArgs(words, 'command line');
      } catch (err) {
        if (err instanceof RuleError) {
          io.stderr(`auditflow rules: ${err.message}\n`);
          return 1;
        }
        throw err;
      }
      const client = new AuditClient();
      try {
        const res = applyRules(client, [line], { forceImmutable: forced });
        for (const e of res.errors) io.stderr(`auditflow rules: ${e.message}\n`);
        return res.ok ? 0 : 1;
      } finally {
        client.close();
      }
    }
    default:
      throw usageError(usage);
  }
}

export const rulesCmd: Command = {
  name: 'rules',
  usage: 'rules load [--force-immutable] [-i|-c] FILE|DIR... | rules list [-k KEY] | rules delete-all [-k KEY] | rules apply AUDITCTL-ARGS...',
  summary:
    'kernel audit rules like auditctl -R (rules.d in order, like augenrules), -l (same text), -D; apply runs one auditctl command line (-b 8192, -e 1, -a ...)',
  run: (args, io) => runWithCliIO((simple) => rulesCommand(args, simple), io),
};
