// Finds the compiled addon. It is built by `npm install` (node-gyp) into native/netlink/build;
// when it is missing the error names every path tried, so the fix (rebuild) is obvious.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AuditflowError } from '../errors.js';
import type { NativeModule } from './native.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Candidate locations: from src/netlink (tsx) and dist/src/netlink (compiled), Release then Debug. */
export function candidatePaths(): string[] {
  const roots = [path.resolve(here, '../..'), path.resolve(here, '../../..')];
  const out: string[] = [];
  if (process.env.AUDITFLOW_NETLINK_ADDON) out.push(path.resolve(process.env.AUDITFLOW_NETLINK_ADDON));
  for (const root of roots) {
    for (const flavour of ['Release', 'Debug']) out.push(path.join(root, 'native/netlink/build', flavour, 'audit_netlink.node'));
  }
  return out;
}

let cached: NativeModule | undefined;

export function loadNative(): NativeModule {
  if (cached) return cached;
  const tried: string[] = [];
  for (const p of candidatePaths()) {
    if (!existsSync(p)) {
      tried.push(`${p} (missing)`);
      continue;
    }
    try {
      cached = require(p) as NativeModule;
      return cached;
    } catch (err) {
      tried.push(`${p} (${(err as Error).message})`);
    }
  }
  throw new AuditflowError(
    'AF_ERR_NETLINK',
    `audit netlink addon not found; run \`npm rebuild\` or \`npx node-gyp rebuild -C native/netlink\`. Tried: ${tried.join('; ')}`,
  );
}
