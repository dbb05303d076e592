// snoopy's filter_chain string, read the way snoopy 2.5 reads it (src/filtering.c): specs split
// on ';' with strtok (empty specs vanish), each split at its FIRST ':' into name and argument
// (no ':' → empty argument), the argument a ','-list; nothing is trimmed. A record passes only if
// every filter passes (AND), the first drop ends it. Where snoopy logs "Filter not found" and
// lets the event through, an unknown name here is a config error naming it.
import { configError } from '../errors.js';
import type { Filter, FilterStats } from '../pipeline/types.js';
import type { NormalizedRecord } from '../record.js';
import { excludeUid, onlyRoot, onlyUid } from './by-uid.js';
import { excludeAuid, onlyAuid } from './by-auid.js';
import { onlyTty } from './by-tty.js';
import { excludeComm, onlyComm } from './by-comm.js';
import { excludeKeys } from './by-key.js';
import { excludeExe, excludePath } from './by-glob.js';
import { ExcludeSpawnsOf } from './spawns-of.js';
import { ProcessTable, type AncestryLookup } from '../context/process-table.js';

export interface ChainContext {
  /** Shared table for exclude_spawns_of; when absent each one keeps (and feeds) its own. */
  processTable?: AncestryLookup;
}

type Factory = (arg: string, where: string, ctx: ChainContext) => Filter;

/** Every name a filter_chain may use: snoopy's five, arstercz's exclude_comm, and auditflow's. */
export const chainFilters: Record<string, Factory> = {
  exclude_uid: excludeUid,
  only_uid: onlyUid,
  only_root: () => onlyRoot(),
  only_tty: () => onlyTty(),
  exclude_spawns_of: (arg, _w, ctx) => new ExcludeSpawnsOf(arg, ctx.processTable ?? new ProcessTable(), ctx.processTable === undefined),
  exclude_comm: (arg) => excludeComm(arg),
  only_comm: (arg) => onlyComm(arg),
  exclude_auid: excludeAuid,
  only_auid: onlyAuid,
  exclude_keys: (arg) => excludeKeys(arg),
  exclude_exe: (arg) => excludeExe(arg),
  exclude_path: (arg) => excludePath(arg),
};

export interface ChainSpec {
  name: string;
  arg: string;
}

/** Parses a filter_chain string; throws AF_ERR_CONFIG naming an unknown filter. */
export function parseFilterChain(chain: string, where = 'filter_chain'): ChainSpec[] {
  const specs: ChainSpec[] = [];
  for (const spec of chain.split(';')) {
    if (spec === '') continue;
    const colon = spec.indexOf(':');
    const name = colon < 0 ? spec : spec.slice(0, colon);
    const arg = colon < 0 ? '' : spec.slice(colon + 1);
    if (!Object.hasOwn(chainFilters, name)) {
      throw configError(where, `unknown filter ${JSON.stringify(name)} in filter_chain (known: ${Object.keys(chainFilters).join(', ')})`);
    }
    specs.push({ name, arg });
  }
  return specs;
}

/** One Filter for a whole chain (AND: the first drop wins); parts keep their own counters. */
export class FilterChain implements Filter {
  readonly name: string;
  private kept = 0;
  private dropped = 0;
  constructor(
    readonly source: string,
    readonly parts: Filter[],
  ) {
    this.name = `filter_chain(${source})`;
  }

  apply(rec: NormalizedRecord): NormalizedRecord | null {
    let r: NormalizedRecord | null = rec;
    for (let i = 0; i < this.parts.length; i++) {
      r = this.parts[i].apply(r);
      if (r === null) {
        this.dropped++;
        return null;
      }
    }
    this.kept++;
    return r;
  }

  drain(nowMs: number, final: boolean): NormalizedRecord[] {
    for (const p of this.parts) p.drain?.(nowMs, final);
    return [];
  }

  /** The chain's counters, plus what each part dropped (`exclude_uid_dropped`, ...) for status and metrics. */
  stats(): FilterStats & Record<string, number> {
    const out: FilterStats & Record<string, number> = { kept: this.kept, dropped: this.dropped, modified: 0 };
    for (const p of this.parts) {
      const key = `${p.name}_dropped`;
      out[key] = (out[key] ?? 0) + p.stats().dropped;
    }
    return out;
  }
}

export function buildChain(chain: string, where: string, ctx: ChainContext): FilterChain {
  const parts = parseFilterChain(chain, where).map((s, i) => chainFilters[s.name](s.arg, `${where}[${i}] ${s.name}`, ctx));
  return new FilterChain(chain, parts);
}
