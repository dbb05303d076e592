// Kernel settings (auditctl -b, --backlog_wait_time, -r, -f, -e) can come from two places: the
// netlink input's config and the rules files it loads. A value the config sets explicitly wins
// and the rules line that said otherwise is named: Debian's rules.d sets --backlog_wait_time
// 60000, which makes every audited process wait up to a minute whenever the reader stalls.

import type { RuleEntry } from '../audit/rules/load.js';
import { RuleError, type KernelSetting } from '../audit/rules/parse.js';

export type KernelSettings = Partial<Record<KernelSetting, number>>;

/** What a unicast input (the audit daemon) sets unless the config says otherwise. */
export const UNICAST_DEFAULTS: Readonly<Required<Pick<KernelSettings, 'backlog_limit' | 'backlog_wait_time' | 'enabled'>>> = {
  // room for bursts, and a stalled reader drops events (counted as lost) instead of blocking
  // every audited process
  backlog_limit: 8192,
  backlog_wait_time: 0,
  enabled: 1,
};

/** The settings to apply: the explicit ones over the mode's defaults. */
export function effectiveSettings(mode: 'unicast' | 'multicast', explicit: KernelSettings): KernelSettings {
  const out: KernelSettings = mode === 'unicast' ? { ...UNICAST_DEFAULTS } : {};
  for (const [k, v] of Object.entries(explicit) as [KernelSetting, number | undefined][]) if (v !== undefined) out[k] = v;
  return out;
}

export interface OverriddenSetting {
  /** "file:line" of the rules line */
  where: string;
  setting: KernelSetting;
  /** what the rules line asked for */
  value: number;
  /** what the config sets instead */
  configured: number;
}

/**
 * The rules without the kernel settings the config sets explicitly, and which lines asked for
 * them. A line left with no command is dropped; its other commands (`-b 320 -D`) stay.
 */
export function withoutOverriddenSettings(entries: readonly RuleEntry[], explicit: KernelSettings): { entries: RuleEntry[]; overridden: OverriddenSetting[] } {
  const overridden: OverriddenSetting[] = [];
  const out: RuleEntry[] = [];
  for (const entry of entries) {
    if (entry instanceof RuleError || !entry.commands.some((c) => c.kind === 'set' && explicit[c.setting] !== undefined)) {
      out.push(entry);
      continue;
    }
    const commands = entry.commands.filter((c) => {
      if (c.kind !== 'set') return true;
      const configured = explicit[c.setting];
      if (configured === undefined) return true;
      overridden.push({ where: entry.where, setting: c.setting, value: c.value, configured });
      return false;
    });
    if (commands.length) out.push({ ...entry, commands });
  }
  return { entries: out, overridden };
}
