// Process labels, like laurel's label-process: a rule matches a process's executable and/or its
// command line (glob or regular expression) when it execs, and the label stays with the process
// and, unless `propagate: false`, goes to everything it starts. Labels are interned arrays, so a
// tree of thousands of processes shares one.
import micromatch from 'micromatch';
import { configError } from '../errors.js';

export interface LabelRuleConfig {
  label: string;
  exe?: string;
  exe_regex?: string;
  args?: string;
  args_regex?: string;
  propagate?: boolean;
}

interface LabelRule {
  label: string;
  exe?: (s: string) => boolean;
  args?: (s: string) => boolean;
  propagate: boolean;
}

function regex(src: string, where: string): (s: string) => boolean {
  try {
    const re = new RegExp(src);
    return (s) => re.test(s);
  } catch (err) {
    throw configError(where, `invalid regular expression: ${(err as Error).message}`);
  }
}

export class LabelRules {
  private readonly rules: LabelRule[];
  private readonly interned = new Map<string, readonly string[]>();
  private readonly allPropagate: boolean;

  constructor(cfg: LabelRuleConfig[], where = 'enrich.labels') {
    this.rules = cfg.map((r, i) => {
      const w = `${where}[${i}]`;
      if (r.exe === undefined && r.exe_regex === undefined && r.args === undefined && r.args_regex === undefined) {
        throw configError(w, 'a label rule needs exe, exe_regex, args or args_regex');
      }
      return {
        label: r.label,
        exe: r.exe_regex !== undefined ? regex(r.exe_regex, `${w}.exe_regex`) : r.exe !== undefined ? micromatch.matcher(r.exe, { dot: true }) : undefined,
        args:
          r.args_regex !== undefined ? regex(r.args_regex, `${w}.args_regex`) : r.args !== undefined ? micromatch.matcher(r.args, { dot: true }) : undefined,
        propagate: r.propagate ?? true,
      };
    });
    this.allPropagate = this.rules.every((r) => r.propagate);
  }

  get size(): number {
    return this.rules.length;
  }

  /** The one shared array holding these labels, in rule order. */
  private intern(labels: string[]): readonly string[] {
    const key = labels.join('\0');
    let hit = this.interned.get(key);
    if (hit === undefined) {
      hit = Object.freeze(labels);
      this.interned.set(key, hit);
    }
    return hit;
  }

  /** What a new process gets from its parent. */
  inherited(parent: readonly string[] | undefined): readonly string[] | undefined {
    if (parent === undefined || this.allPropagate) return parent;
    const kept = parent.filter((l) => this.rules.some((r) => r.label === l && r.propagate));
    return kept.length === 0 ? undefined : this.intern(kept);
  }

  /** The labels after an exec of `exe` with `commandLine`: the ones it had, plus the rules that match. */
  onExec(had: readonly string[] | undefined, exe: string | undefined, commandLine: string | undefined): readonly string[] | undefined {
    let out: string[] | undefined;
    for (const r of this.rules) {
      if (had?.includes(r.label) || out?.includes(r.label)) continue;
      if (r.exe !== undefined && (exe === undefined || !r.exe(exe))) continue;
      if (r.args !== undefined && (commandLine === undefined || !r.args(commandLine))) continue;
      (out ??= had ? [...had] : []).push(r.label);
    }
    return out === undefined ? had : this.intern(out);
  }
}
