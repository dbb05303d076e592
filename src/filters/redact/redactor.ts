// The redaction engine: given a command line (text) or an argv (args), the same string with every
// secret replaced by the marker and everything else byte for byte as it was. Two kinds of rules:
// patterns that find a secret anywhere (rules.ts) and a scanner over the command's words for
// secrets that only an option or a program makes one (`-pX` after mysql, `-u user:pass` after
// curl, NAME=value, --password=X / --password X, pass:X, `echo X | docker login --password-stdin`).
// Text is split into words the way a shell would (shell-words.ts), so the scanner always sees
// argv as the program will: `-p'a b c'` is one value, `sh -c '...'` a script read in turn.
// Clean strings, by far the most, cost one scan (builtinSuspect, trigger.ts).
import { builtinPatterns, compileUserRule, secretSpan, type PatternRule, type UserRuleConfig } from './rules.js';
import { isSecretName } from './names.js';
import { builtinSuspect } from './trigger.js';
import { KEYTOOL_SECRET, Secret, toolOf, type ToolSpec } from './tools.js';
import { shellWords, WordKind, type ShellWord } from '../../shell-words.js';
import { Memo } from './memo.js';

export interface RedactorOptions {
  /** What a secret becomes. Default `****`. */
  marker?: string;
  /** Built-in rules on (default) or off (only the user's rules). */
  builtin?: boolean;
  rules?: UserRuleConfig[];
}

const enum Pending {
  None,
  Value,
  ValueUnlessOption,
  UserPass,
  UserPct,
  Cookie,
  Skip,
}

/** A word that is a secret if the command turns out to read one on stdin: [its spans, its value]. */
type Candidate = [spans: number[], value: string];

/** Scanner state across the words of one command line. */
class TokenState {
  // --- the current program (sudo mysql ...: sudo, then mysql)
  spec: ToolSpec | undefined = undefined;
  pending = Pending.None;
  opensslPasswd = false;
  htpasswdBatch = false;
  registryLogin = false;
  /** the previous word that was not an option (aws configure set NAME VALUE) */
  lastWord: string | undefined = undefined;
  /** htpasswd -b: the last positional so far (its password) */
  lastPositional: [number[], number] | undefined = undefined;
  // --- the simple command (reset at | ; && newline ...)
  /** the command reads a secret on stdin: the whole of it, or user:pass lines (chpasswd) */
  stdin: 'value' | 'userpass' | undefined = undefined;
  /** arguments of an echo/printf, secret if piped into a command that reads one */
  echoArgs: Candidate[] | undefined = undefined;
  /** the echo arguments piped into this command */
  piped: Candidate[] | undefined = undefined;
  /** the word of a `<<< word` here-string */
  hereString: Candidate[] | undefined = undefined;

  private endTool(): void {
    if (this.spec?.kind === 'htpasswd' && this.htpasswdBatch && this.lastPositional) {
      const [spans, len] = this.lastPositional;
      spans.push(0, len);
    }
    this.spec = undefined;
    this.pending = Pending.None;
    this.opensslPasswd = this.htpasswdBatch = this.registryLogin = false;
    this.lastPositional = undefined;
    this.lastWord = undefined;
  }

  /** End of a simple command; `op` is the operator that ended it ('' at the end of the line). */
  endCommand(op: string): void {
    this.endTool();
    if (this.stdin !== undefined) {
      for (const c of this.piped ?? []) commitStdin(c, this.stdin);
      for (const c of this.hereString ?? []) commitStdin(c, this.stdin);
    }
    this.piped = op === '|' || op === '|&' ? this.echoArgs : undefined;
    this.echoArgs = this.hereString = this.stdin = undefined;
  }

  setTool(spec: ToolSpec): void {
    this.endTool();
    this.spec = spec;
    if (spec.stdin !== undefined) this.stdin = spec.stdin;
  }
}

/** A secret read from stdin: all of the piped text, or the part after ':' of each user:pass line. */
function commitStdin([spans, v]: Candidate, how: 'value' | 'userpass'): void {
  if (how === 'value') {
    spans.push(0, v.length);
    return;
  }
  // echo -e 'alice:pw1\nbob:pw2' | chpasswd: a line ends at a newline or at a written \n
  let i = 0;
  while (i < v.length) {
    let end = v.indexOf('\n', i);
    const esc = v.indexOf('\\n', i);
    if (end < 0 || (esc >= 0 && esc < end)) end = esc >= 0 ? esc : v.length;
    const colon = v.indexOf(':', i);
    if (colon >= 0 && colon < end) spans.push(colon + 1, end);
    i = end + (v.charCodeAt(end) === 92 ? 2 : 1);
  }
}

const CONTROL = new Set(['|', '||', '&&', ';', '&', ';;', '|&', '(', ')', '{', '}', 'then', 'do', 'else', '!', '\n']);
const OPENSSL_VALUE_OPTS = new Set(['-salt', '-in', '-rand', '-writerand']);
/** option names that look secret but name a file or are too common to mean one */
const NOT_SECRET_OPTIONS = new Set(['key', 'keyfile', 'pass-file', 'sig']);
/** how deep `sh -c '... sh -c "..."'` scripts are read */
const MAX_DEPTH = 3;
/** longer strings (a TTY record's keystrokes, a long original) are scanned each time, not kept */
const MEMO_MAX_CHARS = 512;

const hasBlank = (s: string): boolean => s.includes(' ') || s.includes('\t') || s.includes('\n');

function isSecretOption(opt: string): boolean {
  return !NOT_SECRET_OPTIONS.has(opt) && isSecretName(opt);
}

/**
 * `NAME=` at the start of s[a..b): the offset after '=' when NAME holds a secret, else -1.
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

/**
 * name=value items of an option list (`mount -o username=u,password=PW,vers=3.0`): the value of a
 * secret name runs to a ',' that starts another `name=` (a password may itself hold a comma).
 */
function listAssignments(v: string, from: number, spans: number[]): boolean {
  let found = false;
  let i = from;
  while (i < v.length) {
    const eq = secretAssignment(v, i, v.length);
    let next = v.indexOf(',', i);
    if (eq > 0) {
      next = eq;
      for (;;) {
        next = v.indexOf(',', next);
        if (next < 0 || /^[A-Za-z_][\w.-]*=/.test(v.slice(next + 1, next + 66))) break;
        next++;
      }
      spans.push(eq, next < 0 ? v.length : next);
      found = true;
    }
    if (next < 0) break;
    i = next + 1;
  }
  return found;
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

const isQuoteChar = (c: number): boolean => c === 34 || c === 39;

/**
 * A span of a word's value as a span of the line. A secret inside one quoted stretch keeps its
 * quotes (`-p'****'`); one that runs across quotes or escapes takes them along (`-p****`), so
 * the line never keeps half of a quoted secret.
 */
function lineSpan(s: string, w: ShellWord, x: number, y: number, out: number[]): void {
  if (w.map === undefined) {
    out.push(w.start + x, w.start + y);
    return;
  }
  let a = w.map[x];
  let b = w.map[y - 1] + 1;
  let quoted = false;
  for (let i = a; i < b && !quoted; i++) {
    const c = s.charCodeAt(i);
    quoted = isQuoteChar(c) || c === 92;
  }
  if (quoted) {
    while (a > w.start && isQuoteChar(s.charCodeAt(a - 1))) a--;
    if (a > w.start && s.charCodeAt(a - 1) === 36 /* $'...' */) a--;
    while (b < w.end && isQuoteChar(s.charCodeAt(b))) b++;
  }
  out.push(a, b);
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
  /**
   * Answers for strings and argvs that screened positive (null: clean after all), each distinct
   * one scanned once: a server repeats its few messages, PAM fields and command lines, and most
   * of what screens positive (`/etc/passwd`, `authenticated`) holds no secret.
   */
  private readonly texts = new Memo<string | null>(1024);
  private readonly argvs = new Memo<string[] | null>(256);

  constructor(opts: RedactorOptions = {}, where = 'redact') {
    this.marker = opts.marker ?? '****';
    this.builtin = opts.builtin ?? true;
    const user = (opts.rules ?? []).map((r, i) => compileUserRule(r, `${where}.rules[${i}]`));
    this.patterns = [...(this.builtin ? builtinPatterns : []), ...user];
    this.userTrigger = user.length === 0 ? undefined : userTrigger(user);
  }

  /** Whether the string might hold a secret (false means it certainly does not). */
  suspect(s: string): boolean {
    return (this.builtin && builtinSuspect(s)) || this.userTrigger?.test(s) === true;
  }

  /** The string with its secrets replaced, or undefined when it holds none. */
  text(s: string): string | undefined {
    if (!this.suspect(s)) return undefined;
    if (s.length > MEMO_MAX_CHARS) return this.scanText(s);
    let t = this.texts.get(s);
    if (t === undefined) {
      t = this.scanText(s) ?? null;
      this.texts.set(s, t);
    }
    return t ?? undefined;
  }

  private scanText(s: string): string | undefined {
    const spans: number[] = [];
    this.patternSpans(s, spans);
    this.scanLine(s, spans, 0);
    return this.finish(s, spans);
  }

  /** A redacted copy of argv, or undefined when no argument holds a secret. */
  args(argv: readonly string[]): string[] | undefined {
    let any = false;
    for (let i = 0; i < argv.length && !any; i++) any = this.suspect(argv[i]);
    if (!any) return undefined;
    // the arguments joined by NUL name the argv exactly, since no argument of an exec holds one
    let key: string | undefined = argv.join('\0');
    if (key.length > MEMO_MAX_CHARS * 4 || argv.some((a) => a.includes('\0'))) key = undefined;
    let out = key !== undefined ? this.argvs.get(key) : undefined;
    if (out === undefined) {
      out = this.scanArgs(argv) ?? null;
      if (key !== undefined) this.argvs.set(key, out);
    }
    // a copy: the caller keeps it as the record's own argv
    return out === null ? undefined : out.slice();
  }

  private scanArgs(argv: readonly string[]): string[] | undefined {
    const spansOf: number[][] = argv.map(() => []);
    this.scanWords(argv, undefined, spansOf, 0);
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

  /** A command line: its words as the shell makes them, scanned, the spans mapped back. */
  private scanLine(s: string, spans: number[], depth: number): void {
    const words = shellWords(s);
    const values = words.map((w) => w.value);
    const spansOf: number[][] = words.map(() => []);
    this.scanWords(values, words, spansOf, depth);
    for (let k = 0; k < words.length; k++) {
      const ws = spansOf[k];
      for (let i = 0; i < ws.length; i += 2) if (ws[i + 1] > ws[i]) lineSpan(s, words[k], ws[i], ws[i + 1], spans);
    }
  }

  /** A script inside a word (sh -c '...', $(...)): its spans, shifted into the word. */
  private scanNested(s: string, offset: number, spans: number[], depth: number): void {
    if (!this.suspect(s)) return;
    const inner: number[] = [];
    this.scanLine(s, inner, depth);
    for (let i = 0; i < inner.length; i++) spans.push(inner[i] + offset);
  }

  /**
   * The words of a command: `words` when they come from a line (operators known), else argv.
   * Patterns run over the words joined by spaces (a snoopy line splits `Authorization: Bearer X`
   * into three words); the token rules word by word.
   */
  private scanWords(values: readonly string[], words: readonly ShellWord[] | undefined, spansOf: number[][], depth: number): void {
    const kindOf = (k: number): WordKind => (words !== undefined ? words[k].kind : CONTROL.has(values[k]) ? WordKind.Control : WordKind.Word);
    this.joinedPatterns(values, kindOf, spansOf);
    if (!this.builtin) return;
    const st = new TokenState();
    let skipNext = false;
    let hereNext = false;
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      const kind = kindOf(k);
      if (kind === WordKind.Control) {
        st.endCommand(v);
        continue;
      }
      if (kind === WordKind.Redirect) {
        // the word after a redirection is a file, a fd or a here-doc's end, never an argument;
        // a here-string is the command's stdin
        if (v.endsWith('<<<')) hereNext = true;
        else skipNext = true;
        continue;
      }
      // `sh -c SCRIPT`, `bash -ec SCRIPT`: the script is read as a command line, not as a value
      const script = k > 0 && hasBlank(v) && /^-[a-z]*c$/.test(values[k - 1]);
      if (hereNext) {
        (st.hereString ??= []).push([spansOf[k], v]);
        hereNext = false;
      } else if (skipNext) skipNext = false;
      else if (!script) this.token(st, v, spansOf[k]);
      if (depth < MAX_DEPTH) {
        const subs = words?.[k].subs;
        if (subs !== undefined) for (let i = 0; i < subs.length; i += 2) this.scanNested(v.slice(subs[i], subs[i + 1]), subs[i], spansOf[k], depth + 1);
        else if (hasBlank(v)) this.scanNested(v, 0, spansOf[k], depth + 1);
      }
    }
    st.endCommand('');
  }

  /** Pattern rules over the words joined by spaces, each match cut back into the words it covers. */
  private joinedPatterns(values: readonly string[], kindOf: (k: number) => WordKind, spansOf: number[][]): void {
    if (this.patterns.length === 0 || values.length === 0) return;
    const joined = values.length === 1 ? values[0] : values.join(' ');
    const found: number[] = [];
    this.patternSpans(joined, found);
    if (found.length === 0) return;
    const starts: number[] = new Array(values.length);
    let at = 0;
    for (let k = 0; k < values.length; k++) {
      starts[k] = at;
      at += values[k].length + 1;
    }
    for (let i = 0; i < found.length; i += 2) {
      const x = found[i];
      const y = found[i + 1];
      if (y <= x) continue;
      // the first word ending after x
      let lo = 0;
      let hi = values.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid] + values[mid].length <= x) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo; k < values.length && starts[k] < y; k++) {
        if (kindOf(k) !== WordKind.Word) continue;
        const a = Math.max(x, starts[k]) - starts[k];
        const b = Math.min(y, starts[k] + values[k].length) - starts[k];
        if (b > a) spansOf[k].push(a, b);
      }
    }
  }

  /** Marks the secret of v[from..] as `kind` holds it. */
  private value(v: string, from: number, kind: Pending, spans: number[]): void {
    if (from >= v.length) return;
    switch (kind) {
      case Pending.UserPass: {
        const sep = v.indexOf(':', from);
        if (sep >= 0) spans.push(sep + 1, v.length);
        return;
      }
      case Pending.UserPct: {
        const sep = v.indexOf('%', from);
        if (sep >= 0) spans.push(sep + 1, v.length);
        return;
      }
      case Pending.Cookie:
        if (v.indexOf('=', from) >= 0) spans.push(from, v.length);
        return;
      default:
        spans.push(from, v.length);
    }
  }

  /** One word of a command (an argv element, quotes already gone). */
  private token(st: TokenState, v: string, spans: number[]): void {
    const n = v.length;
    if (n === 0) return;
    const dash = v.charCodeAt(0) === 45 && n > 1;

    if (st.pending !== Pending.None) {
      const p = st.pending;
      st.pending = Pending.None;
      if (p === Pending.Skip) return;
      if (!(dash && (p === Pending.ValueUnlessOption || p === Pending.UserPass || p === Pending.UserPct))) {
        this.value(v, 0, p === Pending.ValueUnlessOption ? Pending.Value : p, spans);
        return;
      }
    }
    const spec = st.spec;
    const kind = spec?.kind;

    if (!dash) {
      const tool = toolOf(v);
      // a second `htpasswd` under htpasswd is its file (htpasswd -b /etc/nginx/htpasswd ...),
      // `openssl passwd` a subcommand
      if (tool !== undefined && tool.kind !== kind && !(kind === 'openssl' && v === 'passwd')) {
        st.setTool(tool);
        return;
      }
      // openssl's pass phrase argument: pass:SECRET (env:, file:, fd: name where it is)
      if (n > 5 && v.startsWith('pass:')) return this.value(v, 5, Pending.Value, spans);
      const eq = secretAssignment(v, 0, n);
      if (eq > 0 && !(v.includes(',') && listAssignments(v, 0, spans))) return this.value(v, eq, Pending.Value, spans);
      if (eq < 0 && v.includes(',') && v.includes('=') && listAssignments(v, 0, spans)) return;
      switch (kind) {
        case 'openssl':
          if (v === 'passwd') st.opensslPasswd = true;
          else if (v === 'stdin') st.stdin = 'value';
          else if (st.opensslPasswd) this.value(v, 0, Pending.Value, spans);
          break;
        case 'htpasswd':
          st.lastPositional = [spans, n];
          break;
        case 'registry':
          if (v === 'login') st.registryLogin = true;
          break;
        case 'mysqladmin':
          if (v === 'password') st.pending = Pending.Value;
          break;
        case 'echo':
          (st.echoArgs ??= []).push([spans, v]);
          break;
        case 'aws':
          // aws configure set aws_secret_access_key SECRET
          if (st.lastWord !== undefined && isSecretName(st.lastWord)) {
            st.lastWord = undefined;
            this.value(v, 0, Pending.Value, spans);
            return;
          }
          st.lastWord = v;
          break;
      }
      return;
    }

    // --name=value / --name value
    if (v.charCodeAt(1) === 45) {
      if (n === 2) return;
      const eqAt = v.indexOf('=');
      const opt = (eqAt > 0 ? v.slice(2, eqAt) : v.slice(2)).toLowerCase();
      this.stdinOption(st, opt, eqAt > 0 ? v.slice(eqAt + 1) : undefined);
      const how = this.longSecret(kind, opt);
      if (eqAt > 0) {
        if (how !== Pending.None) return this.value(v, eqAt + 1, how, spans);
        // --env=DB_PASSWORD=x, --build-arg=NPM_TOKEN=x, --options=user=u,password=x
        const inner = secretAssignment(v, eqAt + 1, n);
        if (inner > 0 && !(v.includes(',') && listAssignments(v, eqAt + 1, spans))) return this.value(v, inner, Pending.Value, spans);
        if (inner < 0 && v.includes(',')) listAssignments(v, eqAt + 1, spans);
        return;
      }
      if (how !== Pending.None) st.pending = how === Pending.Value ? Pending.ValueUnlessOption : how;
      return;
    }

    // short options: the program's own rules first
    if (spec !== undefined && this.shortOption(st, spec, v, spans)) return;
    // -name=value and -name value (java -Dx.password=, -storepass, -password)
    const eqAt = v.indexOf('=');
    if (eqAt > 1) {
      const opt = v.slice(1, eqAt).toLowerCase();
      if (isSecretOption(opt) || isSecretOption(opt.slice(1))) return this.value(v, eqAt + 1, Pending.Value, spans);
      const inner = secretAssignment(v, eqAt + 1, n);
      if (inner > 0) this.value(v, inner, Pending.Value, spans);
      else if (v.includes(',')) listAssignments(v, eqAt + 1, spans);
      return;
    }
    if (n > 3 && (spec === undefined || spec.single) && kind !== 'openssl' && isSecretOption(v.slice(1).toLowerCase())) st.pending = Pending.ValueUnlessOption;
  }

  /** Options that say the command reads a secret on stdin. */
  private stdinOption(st: TokenState, opt: string, value: string | undefined): void {
    if (opt === 'password-stdin' || opt === 'passphrase-stdin' || (opt === 'stdin' && st.spec?.kind === 'passwd')) st.stdin = 'value';
    else if (opt === 'passphrase-fd' && (value === undefined || value === '0')) st.stdin = 'value';
  }

  /** How a long option's value holds a secret (Pending.None: it does not). */
  private longSecret(kind: string | undefined, opt: string): Pending {
    if (kind === 'curl') {
      if (opt === 'user' || opt === 'proxy-user' || opt === 'cert' || opt === 'proxy-cert') return Pending.UserPass;
      if (opt === 'oauth2-bearer') return Pending.Value;
      if (opt === 'cookie') return Pending.Cookie;
    }
    if (kind === 'smb' && opt === 'user') return Pending.UserPct;
    return opt !== '' && isSecretOption(opt) ? Pending.Value : Pending.None;
  }

  /** A short option (or getopt cluster) of a known program; true when the program's rules decided it. */
  private shortOption(st: TokenState, spec: ToolSpec, v: string, spans: number[]): boolean {
    const n = v.length;
    switch (spec.kind) {
      case 'openssl':
        if (v === '-k') st.pending = Pending.Value;
        else if (st.opensslPasswd && OPENSSL_VALUE_OPTS.has(v)) st.pending = Pending.Skip;
        return true;
      case 'keytool': {
        const opt = v.slice(1);
        if (KEYTOOL_SECRET.has(opt)) st.pending = Pending.Value;
        // -storepass:env NAME / -storepass:file PATH name where the password is
        else if (opt.includes(':')) st.pending = Pending.Skip;
        return true;
      }
      case 'registry':
        if (!st.registryLogin) return false;
        break;
    }
    if (spec.single) {
      const flag = v[1];
      const how = spec.secret?.[flag];
      if (how === undefined) return false;
      if (spec.kind === 'redis' && n > 2) return false;
      if (n > 2) this.value(v, 2, pendingOf(how), spans);
      else if (how !== Secret.Attached) st.pending = pendingOf(how);
      return true;
    }
    // getopt: -abc is -a -b -c until an option that takes a value, which is the rest or the next word
    for (let j = 1; j < n; j++) {
      const ch = v[j];
      let how = spec.secret?.[ch];
      if (how === undefined && spec.kind === 'registry' && ch === 'p') how = Secret.Value;
      if (how !== undefined) {
        if (j + 1 < n) this.value(v, j + 1, pendingOf(how), spans);
        else if (how !== Secret.Attached) st.pending = pendingOf(how);
        return true;
      }
      if (spec.takes?.includes(ch)) {
        if (j + 1 >= n) st.pending = Pending.Skip;
        return true;
      }
      switch (spec.kind) {
        case 'htpasswd':
          if (ch === 'b') st.htpasswdBatch = true;
          else if (ch === 'i') st.stdin = 'value';
          break;
        case 'sudo':
          if (ch === 'S') st.stdin = 'value';
          break;
        case 'smbpasswd':
          if (ch === 's') st.stdin = 'value';
          break;
      }
    }
    return true;
  }
}

function pendingOf(how: Secret): Pending {
  switch (how) {
    case Secret.UserPass:
      return Pending.UserPass;
    case Secret.UserPct:
      return Pending.UserPct;
    case Secret.Cookie:
      return Pending.Cookie;
    default:
      return Pending.Value;
  }
}
