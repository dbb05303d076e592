// The one place input types are registered: `type:` in config → factory + schema.
import type { ComponentDef, Input } from '../pipeline/types.js';
import { snoopyInput } from './snoopy/input.js';
import { bashInput } from './bash/input.js';
import { auditlogInput } from './auditlog.js';
import { netlinkInput } from './netlink.js';
import { auditRemoteInput } from './audit-remote/index.js';
import { relpInput } from './relp/index.js';

export const inputDefs: ComponentDef<Input>[] = [snoopyInput, bashInput, auditlogInput, netlinkInput, auditRemoteInput, relpInput];
