// Every input type loaded at once (check-config, status, the tests); the daemon loads only the
// ones its config names through src/inputs/registry.ts.
import type { ComponentDef, Input } from '../pipeline/types.js';
import { snoopyInput } from './snoopy/input.js';
import { bashInput } from './bash/input.js';
import { auditlogInput } from './auditlog.js';
import { netlinkInput } from './netlink.js';
import { auditRemoteInput } from './audit-remote/index.js';
import { relpInput } from './relp/index.js';

export const inputDefs: ComponentDef<Input>[] = [snoopyInput, bashInput, auditlogInput, netlinkInput, auditRemoteInput, relpInput];
