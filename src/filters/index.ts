// The one place filter types are registered: `type:` in config → factory + schema. The config
// loader validates each item against these schemas; buildFilterChain() turns the validated list
// into running filters, with redaction appended when the config does not mention it.
import { configError } from '../errors.js';
import { resolveComponent } from '../config/resolve.js';
import type { BuildContext, ComponentDef, Filter } from '../pipeline/types.js';
import { buildChain, chainFilters, type ChainContext } from './chain.js';
import { buildMatch, matchSchema } from './match.js';
import { Throttle, throttleSchema } from './throttle.js';
import { RedactFilter, redactSchema } from './redact/filter.js';
import { ProcessTable } from '../context/process-table.js';
import { ProcessTableObserver } from './spawns-of.js';

export interface FilterBuildContext extends BuildContext, ChainContext {
  /** where the item sits in the config, for error messages */
  where?: string;
}

const chainSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'filter_chain'],
  properties: {
    type: { const: 'filter_chain' },
    filter_chain: { type: 'string', description: "snoopy's syntax: name[:a,b,...] specs joined by ';', all must pass" },
  },
};

/** `{type: exclude_uid, values: [992, www-data]}`: a chain filter written as its own item. */
const namedSchema = (type: string): Record<string, unknown> => ({
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { const: type },
    values: { type: 'array', items: { type: ['string', 'integer'] } },
  },
});

export const filterDefs: ComponentDef<Filter>[] = [
  {
    type: 'filter_chain',
    schema: chainSchema,
    build: (cfg: { filter_chain: string }, ctx: FilterBuildContext) => buildChain(cfg.filter_chain, `${ctx.where ?? 'filters'}.filter_chain`, ctx),
  },
  ...Object.keys(chainFilters).map(
    (type): ComponentDef<Filter> => ({
      type,
      schema: namedSchema(type),
      build: (cfg: { values?: (string | number)[] }, ctx: FilterBuildContext) =>
        chainFilters[type]((cfg.values ?? []).map(String).join(','), `${ctx.where ?? 'filters'}.values`, ctx),
    }),
  ),
  { type: 'match', schema: matchSchema('match'), build: (cfg, ctx: FilterBuildContext) => buildMatch(cfg, ctx.where ?? 'filters') },
  { type: 'drop', schema: matchSchema('drop'), build: (cfg, ctx: FilterBuildContext) => buildMatch(cfg, ctx.where ?? 'filters') },
  { type: 'throttle', schema: throttleSchema, build: (cfg) => new Throttle(cfg) },
  { type: 'redact', schema: redactSchema, build: (cfg, ctx: FilterBuildContext) => new RedactFilter(cfg, ctx.where ?? 'redact') },
];

const defsByType = new Map(filterDefs.map((d) => [d.type, d]));

/** `{filter_chain: "..."}` (snoopy's spelling) → `{type: filter_chain, filter_chain: "..."}`. */
export function normalizeFilterItem(item: unknown): unknown {
  if (item !== null && typeof item === 'object' && !Array.isArray(item) && !('type' in item) && 'filter_chain' in item) {
    return { type: 'filter_chain', ...(item as Record<string, unknown>) };
  }
  return item;
}

function usesSpawnsOf(item: { type: string; filter_chain?: unknown }): boolean {
  if (item.type === 'exclude_spawns_of') return true;
  return (
    item.type === 'filter_chain' &&
    typeof item.filter_chain === 'string' &&
    item.filter_chain.split(';').some((s) => s.split(':', 1)[0] === 'exclude_spawns_of')
  );
}

/**
 * Running filters for the config's `filters:` list, in order. Redaction is on by default: a
 * `redact` filter is appended when the list has none, and any `{type: redact, enabled: false}`
 * turns all redaction off. exclude_spawns_of reads the context stage's process table
 * (ctx.processTable); without one, a table is made here and an observer goes first, so exec
 * events dropped by earlier filters still teach the table who their children are.
 * Items are resolved through the one config resolver (a no-op for items the loader resolved):
 * anything invalid is refused with an AF_ERR_CONFIG naming the item.
 */
export function buildFilterChain(items: unknown[], ctx: BuildContext & Partial<ChainContext> & { procTable?: boolean }): Filter[] {
  const typed = items.map((it, i) => {
    const item = normalizeFilterItem(it);
    if (item === null || typeof item !== 'object' || typeof (item as { type?: unknown }).type !== 'string') {
      throw configError(`filters[${i}]`, 'expected a mapping with a `type` (or `filter_chain`)');
    }
    const def = defsByType.get((item as { type: string }).type);
    if (def === undefined) {
      throw configError(
        `filters[${i}].type`,
        `unknown filter type ${JSON.stringify((item as { type: string }).type)} (known: ${[...defsByType.keys()].join(', ')})`,
      );
    }
    return resolveComponent<{ type: string; enabled?: boolean; filter_chain?: string }>(def, item, `filters[${i}]`).config;
  });
  const redactOff = typed.some((t) => t.type === 'redact' && t.enabled === false);
  let processTable = ctx.processTable;
  if (processTable === undefined && typed.some(usesSpawnsOf)) processTable = new ProcessTable({ proc: ctx.procTable ?? true });
  const fctx = (i: number): FilterBuildContext => ({ ...ctx, processTable, where: `filters[${i}]` });

  const out: Filter[] = [];
  // the context stage feeds the table it passes in; a table made here needs its own feeder
  if (processTable !== undefined && ctx.processTable === undefined) out.push(new ProcessTableObserver(processTable));
  typed.forEach((item, i) => {
    if (item.type === 'redact' && (redactOff || item.enabled === false)) return;
    out.push(defsByType.get(item.type)!.build(item, fctx(i)));
  });
  if (!redactOff && !typed.some((t) => t.type === 'redact')) out.push(new RedactFilter());
  return out;
}
