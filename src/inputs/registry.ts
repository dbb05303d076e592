// Input types by `type:` name, each loaded on first use: the daemon imports only the inputs its
// config names (every module loaded is start-up CPU and resident memory for the daemon's life).
// src/inputs/index.ts is the same list loaded at once, for check-config and the tests.
import type { ComponentDef, Input } from '../pipeline/types.js';

export const inputLoaders: Record<string, () => Promise<ComponentDef<Input>>> = {
  snoopy: async () => (await import('./snoopy/input.js')).snoopyInput,
  bash: async () => (await import('./bash/input.js')).bashInput,
  auditlog: async () => (await import('./auditlog.js')).auditlogInput,
  netlink: async () => (await import('./netlink.js')).netlinkInput,
  audit_remote: async () => (await import('./audit-remote/index.js')).auditRemoteInput,
  relp: async () => (await import('./relp/index.js')).relpInput,
};
