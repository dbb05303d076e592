// The redaction engine: given a command line (text) or an argv (args), the same string with every
// secret replaced by the marker and everything else byte for byte as it was. Two kinds of rules:
// patterns that find a secret anywhere (rules.ts) and a token scanner for secrets that only an
// option or a program makes one (`-pX` after mysql, `-u user:pass` after curl, NAME=value,
// --password=X / --password X, pass:X). Clean strings, by far the most, cost one regex scan.
import { builtinPatterns, builtinTrigger, compileUserRule, secretSpan, type PatternRule, type UserRuleConfig } from './rules.js';
import { isSecretName } from './names.js';
import { toolOf, type ToolKind } from './tools.js';

export interface RedactorOptions {
  /** What a secret becomes. Default `****`. */
  marker?: string;
  /** Built-in rules on (default) or off (only the user's rules). */
  builtin?: boolean;
  rules?: UserRuleConfig[];
}

const enum Pending { None, Value, ValueUnlessOption, UserPass, UserPct, Skip }

/** Scanner state across the tokens of one command (reset at |, ;, &&, newline). */
class TokenState {
  tool: ToolKind | undefined = undefined;
  pending = Pending.None;
  opensslPasswd = false;
  htpasswdBatch = false;
  registryLogin = false;
  /** the previous word that was not an option (aws configure set NAME VALUE) */
  lastWord: string | undefined = undefined;
  /** htpasswd -b: the last positional so far (its password), as [spans, start, end] */
  lastPositional: [number[], number, number] | undefined = undefined;

  endCommand(): void {
    if (this.tool === 'htpasswd' && this.htpasswdBatch && this.lastPositional) {
      const [spans, a, b] = this.lastPositional;
      spans.push(a, b);
    }
    this.tool = undefined;
    this.pending = Pending.None;
    this.opensslPasswd = this.htpasswdBatch = this.registryLogin = false;
    this.lastPositional = undefined;
    this.lastWord = undefined;
  }

  setTool(tool: ToolKind): void {
    this.endCommand();
    this.tool = tool;
  }
}

const CONTROL = new Set(['|', '||', '&&', ';', '&', ';;', '|&', '(', ')', '{', '}', 'then', 'do', 'else', '!']);
const OPENSSL_VALUE_OPTS = new Set(['-salt', '-in', '-rand', '-writerand']);
/** option names that look secret but name a file or are too common to mean one */
const NOT_SECRET_OPTIONS = new Set(['key', 'keyfile', 'pass-file', 'sig']);

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
const isQuote = (c: number): boolean => c === 34 || c === 39;

function isSecretOption(opt: string): boolean {
  return !NOT_SECRET_OPTIONS.has(opt) && isSecretName(opt);
}

/**
 * `NAME=` at the start of tok[a..b): the offset after '=' when NAME holds a secret, else -1.
 * Names may be dotted or dashed too (git -c user.password=..., helm --set db.password=...).
 */
function secretAssignment(s: string, a: number, b: number): number {
  let i = a;
  const c0 = s.charCodeAt(i);
  if (!((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122) || c0 === 95)) return -1;
  while (i < b) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45) i++;
    else break;
  }
  if (i >= b || s.charCodeAt(i) !== 61 /* = */) return -1;
  return isSecretName(s.slice(a, i)) ? i + 1 : -1;
}

/** Sorts and merges [start, end) pairs, then rebuilds the string with the marker in each. */
function applySpans(s: string, spans: number[], marker: string): string {
  const pairs: [number, number][] = [];
  for (let i = 0; i < spans.length; i += 2) if (spans[i + 1] > spans[i]) pairs.push([spans[i], spans[i + 1]]);
  pairs.sort((x, y) => x[0] - y[0]);
  let out = '';
  let pos = 0;
  for (const [a, b] of pairs) {
    if (b <= pos) continue;
    const from = Math.max(a, pos);
    out += s.slice(pos, from) + marker;
    pos = b;
  }
  return out + s.slice(pos);
}

/**
 * One look for all the user's rules: a single alternation when they share their flags and use no
 * backreferences (numbering shifts in the combination; group names may repeat, so they go),
 * else each rule in turn.
 */
function userTrigger(rules: PatternRule[]): { test(s: string): boolean } {
  const flags = (r: PatternRule): string => r.re.flags.replace(/[gd]/g, '');
  const combinable = rules.every((r) => flags(r) === flags(rules[0]) && !/\\[1-9]|\\k</.test(r.re.source));
  if (combinable) {
    const unnamed = (src: string): string => src.replace(/\(\?<([A-Za-z_$][\w$]*)>/g, '(?:');
    return new RegExp(rules.map((r) => `(?:${unnamed(r.re.source)})`).join('|'), flags(rules[0]));
  }
  const each = rules.map((r) => new RegExp(r.re.source, flags(r)));
  return { test: (s) => each.some((re) => re.test(s)) };
}

export class Redactor {
  readonly marker: string;
  private readonly patterns: PatternRule[];
  private readonly builtin: boolean;
  private readonly userTrigger: { test(s: string): boolean } | undefined;

  constructor(opts: RedactorOptions = {}, where = 'redact') {
    this.marker = opts.marker ?? '****';
    this.builtin = opts.builtin ?? true;
    const user = (opts.rules ?? []).map((r, i) => compileUserRule(r, `${where}.rules[${i}]`));
    this.patterns = [...(this.builtin ? builtinPatterns : []), ...user];
    this.userTrigger = user.length === 0 ? undefined : userTrigger(user);
  }

  /** Whether the string might hold a secret (false means it certainly does not). */
  suspect(s: string): boolean {
    return (this.builtin && builtinTrigger.test(s)) || (this.userTrigger !== undefined && this.userTrigger.test(s));
  }

  /** The string with its secrets replaced, or undefined when it holds none. */
  text(s: string): string | undefined {
    if (!this.suspect(s)) return undefined;
    const spans: number[] = [];
    this.patternSpans(s, spans);
    if (this.builtin) this.scanText(s, spans);
    return this.finish(s, spans);
  }

  /** A redacted copy of argv, or undefined when no argument holds a secret. */
  args(argv: readonly string[]): string[] | undefined {
    let any = false;
    for (let i = 0; i < argv.length; i++) {
      if (this.suspect(argv[i])) {
        any = true;
        break;
      }
    }
    if (!any) return undefined;
    const spansOf: number[][] = argv.map(() => []);
    const st = new TokenState();
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i];
      this.patternSpans(arg, spansOf[i]);
      if (!this.builtin) continue;
      if (CONTROL.has(arg)) {
        st.endCommand();
        continue;
      }
      this.token(st, arg, 0, arg.length, spansOf[i], false);
      // an argument that is itself a command line (sh -c "...", ssh host "...")
      if (/\s/.test(arg)) this.scanText(arg, spansOf[i]);
    }
    st.endCommand();
    let out: string[] | undefined;
    for (let i = 0; i < argv.length; i++) {
      if (spansOf[i].length === 0) continue;
      const r = this.finish(argv[i], spansOf[i]);
      if (r !== undefined) (out ??= argv.slice())[i] = r;
    }
    return out;
  }

  private finish(s: string, spans: number[]): string | undefined {
    if (spans.length === 0) return undefined;
    const r = applySpans(s, spans, this.marker);
    return r === s ? undefined : r;
  }

  private patternSpans(s: string, spans: number[]): void {
    const lower = s.toLowerCase();
    for (const rule of this.patterns) {
      if (rule.hints !== undefined && !rule.hints.some((h) => lower.includes(h))) continue;
      const re = rule.re;
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(s)) !== null) {
        if (m[0].length === 0) re.lastIndex++;
        if (rule.accept && !rule.accept(m)) continue;
        const span = secretSpan(rule, m);
        if (span) spans.push(span[0], span[1]);
      }
    }
  }

  /** Tokenizes a command line on blanks; newlines and shell operators end a command. */
  private scanText(s: string, spans: number[]): void {
    const st = new TokenState();
    const n = s.length;
    let i = 0;
    while (i < n) {
      let c = s.charCodeAt(i);
      if (isSpace(c)) {
        if (c === 10) st.endCommand();
        i++;
        continue;
      }
      const start = i;
      while (i < n && !isSpace((c = s.charCodeAt(i)))) i++;
      let end = i;
      const last = s.charCodeAt(end - 1);
      // `cd /tmp;` and `a|b` glued to a word still end the command after it
      const glued = end - start > 1 && (last === 59 /* ; */ || last === 124 /* | */ || last === 38 /* & */);
      if (glued) end--;
      if (CONTROL.has(s.slice(start, end))) {
        st.endCommand();
        continue;
      }
      const next = this.token(st, s, start, end, spans, true);
      if (next > i) i = next;
      if (glued) st.endCommand();
    }
    st.endCommand();
  }

  /**
   * One token s[start..end). Pushes secret spans; returns where scanning continues when a quoted
   * value ran past the token's end (text mode only), else -1.
   */
  private token(st: TokenState, s: string, start: number, end: number, spans: number[], text: boolean): number {
    // the token without its surrounding quotes ('-pX' or "--password=a b")
    let a = start;
    let b = end;
    const q = s.charCodeAt(a);
    if (text && isQuote(q)) {
      a++;
      if (b - 1 > a && s.charCodeAt(b - 1) === q) b--;
    }
    if (a >= b) return -1;

    /** redacts s[from..b), running on past b to a closing quote when the value opens one */
    const value = (from: number, kind: Pending): number => {
      if (from >= b) return -1;
      let to = b;
      let resume = -1;
      const vq = s.charCodeAt(from);
      if (text && isQuote(vq)) {
        const close = s.indexOf(String.fromCharCode(vq), from + 1);
        if (close > 0) {
          from++;
          to = close;
          if (close >= end) resume = close + 1;
        }
      }
      // a closing quote of a token that opened before the value (`"host=x password=y"`)
      else if (text && to === end && isQuote(s.charCodeAt(to - 1)) && to - 1 > from) to--;
      if (kind === Pending.UserPass || kind === Pending.UserPct) {
        const sep = s.indexOf(kind === Pending.UserPass ? ':' : '%', from);
        if (sep < 0 || sep >= to) return resume;
        from = sep + 1;
      }
      if (to > from) spans.push(from, to);
      return resume;
    };

    const c0 = s.charCodeAt(a);
    const dash = c0 === 45; /* - */

    if (st.pending !== Pending.None) {
      const p = st.pending;
      st.pending = Pending.None;
      if (p === Pending.Skip) return -1;
      if (!(dash && (p === Pending.ValueUnlessOption || p === Pending.UserPass || p === Pending.UserPct))) return value(a, p === Pending.ValueUnlessOption ? Pending.Value : p);
    }

    const tok = s.slice(a, b);
    if (!dash) {
      const tool = toolOf(tok);
      if (tool !== undefined) {
        st.setTool(tool);
        return -1;
      }
      // openssl's pass phrase argument: pass:SECRET (env:, file:, fd: name where it is)
      if (b - a > 5 && s.startsWith('pass:', a)) return value(a + 5, Pending.Value);
      const eq = secretAssignment(s, a, b);
      if (eq > 0) return value(eq, Pending.Value);
      switch (st.tool) {
        case 'openssl':
          if (tok === 'passwd') st.opensslPasswd = true;
          else if (st.opensslPasswd) return value(a, Pending.Value);
          break;
        case 'htpasswd':
          st.lastPositional = [spans, a, b];
          break;
        case 'registry':
          if (tok === 'login') st.registryLogin = true;
          break;
        case 'mysqladmin':
          if (tok === 'password') st.pending = Pending.Value;
          break;
        case 'aws':
          // aws configure set aws_secret_access_key SECRET
          if (st.lastWord !== undefined && isSecretName(st.lastWord)) {
            st.lastWord = undefined;
            return value(a, Pending.Value);
          }
          st.lastWord = tok;
          break;
      }
      return -1;
    }

    // options: --name=value / -name=value / --name value
    const long = s.charCodeAt(a + 1) === 45;
    const nameStart = long ? a + 2 : a + 1;
    const eqAt = s.indexOf('=', nameStart);
    if (eqAt > nameStart && eqAt < b) {
      const opt = s.slice(nameStart, eqAt).toLowerCase();
      if ((st.tool === 'curl' && (opt === 'user' || opt === 'proxy-user')) ) return value(eqAt + 1, Pending.UserPass);
      if (st.tool === 'smb' && opt === 'user') return value(eqAt + 1, Pending.UserPct);
      if (isSecretOption(opt)) return value(eqAt + 1, Pending.Value);
      // --env=DB_PASSWORD=x, --build-arg=NPM_TOKEN=x: an assignment inside the option
      const inner = secretAssignment(s, eqAt + 1, b);
      return inner > 0 ? value(inner, Pending.Value) : -1;
    }
    if (long) {
      const opt = tok.slice(2).toLowerCase();
      if (st.tool === 'curl' && (opt === 'user' || opt === 'proxy-user')) st.pending = Pending.UserPass;
      else if (st.tool === 'curl' && opt === 'oauth2-bearer') st.pending = Pending.Value;
      else if (st.tool === 'smb' && opt === 'user') st.pending = Pending.UserPct;
      else if (opt !== '' && isSecretOption(opt)) st.pending = Pending.ValueUnlessOption;
      return -1;
    }

    // short options, by program
    const flag = s.charCodeAt(a + 1);
    const attached = b - a > 2;
    switch (st.tool) {
      case 'mysql':
      case 'mysqladmin':
        // -pSECRET only: a bare -p prompts, and the word after it is the database
        if (flag === 112 /* p */ && attached) return value(a + 2, Pending.Value);
        break;
      case 'sshpass':
      case 'mongo':
        if (flag === 112 /* p */) {
          if (attached) return value(a + 2, Pending.Value);
          st.pending = st.tool === 'sshpass' ? Pending.Value : Pending.ValueUnlessOption;
        }
        break;
      case 'redis':
        if (flag === 97 /* a */ && !attached) st.pending = Pending.Value;
        break;
      case 'curl':
        if (flag === 117 /* u */ || flag === 85 /* U */) {
          if (attached) return value(a + 2, Pending.UserPass);
          st.pending = Pending.UserPass;
        }
        break;
      case 'smb':
        if (flag === 85 /* U */) {
          if (attached) return value(a + 2, Pending.UserPct);
          st.pending = Pending.UserPct;
        }
        break;
      case 'ldap':
        if (flag === 119 /* w */) {
          if (attached) return value(a + 2, Pending.Value);
          st.pending = Pending.Value;
        }
        break;
      case 'openssl':
        if (tok === '-k') st.pending = Pending.Value;
        else if (st.opensslPasswd && OPENSSL_VALUE_OPTS.has(tok)) st.pending = Pending.Skip;
        break;
      case 'htpasswd':
        if (tok === '-C' || tok === '-r') st.pending = Pending.Skip;
        else if (tok.includes('b')) st.htpasswdBatch = true;
        break;
      case 'registry':
        if (st.registryLogin && tok === '-p') st.pending = Pending.Value;
        break;
      case 'useradd':
        if (tok === '-p') st.pending = Pending.Value;
        break;
    }
    return -1;
  }
}
