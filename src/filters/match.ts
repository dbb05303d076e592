// Structured keep/drop: `{type: drop, where: {event.category: file, file.path: ["/proc/**",
// "/sys/**"], user.id: 992}}`. `where` is an AND of field conditions (dotted paths); a list of
// such objects is an OR of them. A condition is a glob or exact string, a number, a boolean, a
// list (any of), or an operator object {eq, ne, lt, lte, gt, gte, glob, regex, exists}. A record
// field that is a list (event.category, audit.keys) matches when any element does. Everything is
// compiled once at config load; a regex that could backtrack catastrophically is refused there
// (regex-safety.ts), and each record's time is checked against the filters' budget (`slow`).
import micromatch from 'micromatch';
import { configError } from '../errors.js';
import type { NormalizedRecord } from '../record.js';
import { compilePath, type Getter } from './fields.js';
import { PredicateFilter } from './predicate.js';
import { catastrophicBacktracking } from './regex-safety.js';

type Test = (v: unknown) => boolean;

const GLOB_CHARS = /[*?[\]{}!()]/;
const OPERATORS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'glob', 'regex', 'exists'] as const;

function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '') return Number(v);
  return Number.NaN;
}

function scalarTest(want: unknown, where: string): Test {
  if (typeof want === 'number') return (v) => asNumber(v) === want;
  if (typeof want === 'boolean') return (v) => v === want || v === String(want);
  if (typeof want === 'string') {
    if (GLOB_CHARS.test(want)) {
      const isMatch = micromatch.matcher(want, { dot: true });
      return (v) => (typeof v === 'string' ? isMatch(v) : typeof v === 'number' && isMatch(String(v)));
    }
    return (v) => v === want || (typeof v === 'number' && String(v) === want);
  }
  throw configError(where, `expected a string, number, boolean, list or operator object, got ${JSON.stringify(want)}`);
}

function numberOp(want: unknown, where: string, cmp: (a: number, b: number) => boolean): Test {
  const n = asNumber(want);
  if (Number.isNaN(n)) throw configError(where, `expected a number, got ${JSON.stringify(want)}`);
  return (v) => {
    const x = asNumber(v);
    return !Number.isNaN(x) && cmp(x, n);
  };
}

function operatorTest(ops: Record<string, unknown>, where: string): { test: Test; exists?: boolean } {
  const tests: Test[] = [];
  let exists: boolean | undefined;
  for (const [op, arg] of Object.entries(ops)) {
    const w = `${where}.${op}`;
    switch (op) {
      case 'eq':
        tests.push(valueTest(arg, w).test);
        break;
      case 'ne': {
        const t = valueTest(arg, w).test;
        tests.push((v) => !t(v));
        break;
      }
      case 'lt':
        tests.push(numberOp(arg, w, (a, b) => a < b));
        break;
      case 'lte':
        tests.push(numberOp(arg, w, (a, b) => a <= b));
        break;
      case 'gt':
        tests.push(numberOp(arg, w, (a, b) => a > b));
        break;
      case 'gte':
        tests.push(numberOp(arg, w, (a, b) => a >= b));
        break;
      case 'glob': {
        if (typeof arg !== 'string' && !Array.isArray(arg)) throw configError(w, 'expected a glob or a list of globs');
        const isMatch = micromatch.matcher(arg as string, { dot: true });
        tests.push((v) => typeof v === 'string' && isMatch(v));
        break;
      }
      case 'regex': {
        if (typeof arg !== 'string') throw configError(w, 'expected a regular expression string');
        let re: RegExp;
        try {
          re = new RegExp(arg);
        } catch (err) {
          throw configError(w, `invalid regular expression: ${(err as Error).message}`);
        }
        const danger = catastrophicBacktracking(arg);
        if (danger !== undefined) throw configError(w, danger);
        tests.push((v) => (typeof v === 'string' || typeof v === 'number') && re.test(String(v)));
        break;
      }
      case 'exists':
        if (typeof arg !== 'boolean') throw configError(w, 'expected true or false');
        exists = arg;
        break;
      default:
        throw configError(w, `unknown operator (known: ${OPERATORS.join(', ')})`);
    }
  }
  return { test: (v) => tests.every((t) => t(v)), exists };
}

function valueTest(want: unknown, where: string): { test: Test; exists?: boolean } {
  if (Array.isArray(want)) {
    const tests = want.map((w, i) => valueTest(w, `${where}[${i}]`).test);
    return { test: (v) => tests.some((t) => t(v)) };
  }
  if (want !== null && typeof want === 'object') return operatorTest(want as Record<string, unknown>, where);
  return { test: scalarTest(want, where) };
}

function fieldTest(path: string, want: unknown, where: string): (rec: NormalizedRecord) => boolean {
  const get: Getter = compilePath(path);
  const { test, exists } = valueTest(want, where);
  const hasValueTest = !(want !== null && typeof want === 'object' && !Array.isArray(want) && Object.keys(want).every((k) => k === 'exists'));
  return (rec) => {
    const v = get(rec);
    if (v === undefined) return exists === false;
    if (exists === false) return false;
    if (!hasValueTest) return true;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (test(v[i])) return true;
      return false;
    }
    return test(v);
  };
}

function groupTest(group: unknown, where: string): (rec: NormalizedRecord) => boolean {
  if (group === null || typeof group !== 'object' || Array.isArray(group)) throw configError(where, 'expected a mapping of field paths to conditions');
  const tests = Object.entries(group as Record<string, unknown>).map(([path, want]) => fieldTest(path, want, `${where}.${path}`));
  if (tests.length === 0) throw configError(where, 'needs at least one field condition');
  return (rec) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](rec)) return false;
    return true;
  };
}

/** The compiled `where`: true when the record matches. */
export function compileWhere(where: unknown, at: string): (rec: NormalizedRecord) => boolean {
  if (!Array.isArray(where)) return groupTest(where, at);
  const groups = where.map((g, i) => groupTest(g, `${at}[${i}]`));
  if (groups.length === 0) throw configError(at, 'needs at least one condition group');
  return (rec) => {
    for (let i = 0; i < groups.length; i++) if (groups[i](rec)) return true;
    return false;
  };
}

export interface MatchConfig {
  type: 'match' | 'drop';
  where: unknown;
  name?: string;
}

/** `match` keeps only matching records; `drop` drops them. */
export function buildMatch(cfg: MatchConfig, at: string): PredicateFilter {
  const matches = compileWhere(cfg.where, `${at}.where`);
  // several drop/match items are common: the position keeps their counters apart in status
  const name = cfg.name ?? `${cfg.type}(${at})`;
  return cfg.type === 'match' ? new PredicateFilter(name, matches, false, true) : new PredicateFilter(name, (r) => !matches(r), false, true);
}

const condition = {};
const group = { type: 'object', minProperties: 1, additionalProperties: condition };

export const matchSchema = (type: 'match' | 'drop'): Record<string, unknown> => ({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'where'],
  properties: {
    type: { const: type },
    name: { type: 'string', minLength: 1, description: 'name in status and metrics' },
    where: { oneOf: [group, { type: 'array', minItems: 1, items: group }] },
  },
});
