// ids → { id, name }. ENRICHED logs carry the name auditd resolved on the origin host
// (`UID="alice"` after the 0x1D separator); that name is the right one for logs shipped from
// elsewhere, so it wins over a lookup on this host.

import type { UserRef } from '../../record.js';
import { UNSET_ID, type IdNameTable } from '../../users.js';

export class IdNamer {
  constructor(
    private readonly resolve: boolean,
    private readonly users: IdNameTable | undefined,
    private readonly groups: IdNameTable | undefined,
  ) {}

  user(id: string | undefined, enriched: string | undefined): UserRef | undefined {
    if (id === undefined) return undefined;
    if (enriched !== undefined && enriched !== 'unset' && enriched.charCodeAt(0) !== 0x3f /* ? */ && id !== UNSET_ID) return { id, name: enriched };
    if (!this.resolve || id === UNSET_ID || this.users === undefined) return { id };
    const name = this.users.name(id);
    return name === undefined ? { id } : { id, name };
  }

  group(id: string | undefined, enriched: string | undefined): UserRef | undefined {
    if (id === undefined) return undefined;
    if (enriched !== undefined && enriched !== 'unset' && enriched.charCodeAt(0) !== 0x3f && id !== UNSET_ID) return { id, name: enriched };
    if (!this.resolve || id === UNSET_ID || this.groups === undefined) return { id };
    const name = this.groups.name(id);
    return name === undefined ? { id } : { id, name };
  }

  /**
   * A number that changes whenever the names it gives may have: the passwd and group files'
   * load counts, which only grow, added up. 0 when nothing is looked up on this host.
   */
  generation(): number {
    if (!this.resolve) return 0;
    return (this.users?.generation() ?? 0) + (this.groups?.generation() ?? 0);
  }

  /** uid of a user name (PAM's acct=), when names are resolved on this host. */
  userIdOf(name: string): string | undefined {
    if (!this.resolve || this.users === undefined) return undefined;
    return this.users.id(name);
  }
}
