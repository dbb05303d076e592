// builtinSuspect (trigger.ts), the hand-written screen, answers exactly as builtinTrigger.test (the
// regex of rules.ts, imported, not copied) on every string: each alternative at the start, middle
// and end, in any case, next to word and non-word characters, with every single-character change
// (also non-ASCII: U+017F, U+212A, Unicode spaces); every string of the real samples; and a
// seeded fuzz of fragments of the alternatives.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prng } from './support/prng.js';
import { builtinTrigger } from '../src/filters/redact/rules.js';
import { builtinSuspect } from '../src/filters/redact/trigger.js';
import { AuditStream } from '../src/audit/stream.js';

/** Compares the two on every string; fails on the first few that differ, with the string. */
function agree(strings: Iterable<string>): { checked: number; suspect: number } {
  let checked = 0;
  let suspect = 0;
  const wrong: string[] = [];
  for (const s of strings) {
    const want = builtinTrigger.test(s);
    if (builtinSuspect(s) !== want && wrong.push(`${JSON.stringify(s)}: regex says ${want}`) >= 10) break;
    checked++;
    if (want) suspect++;
  }
  assert.deepEqual(wrong, []);
  return { checked, suspect };
}

// One match of every alternative (classes written out), lowercase
const EXAMPLES = [
  ...['pass', 'podman'],
  ...['psk', 'pwd', 'pin', 'sig', 'key'].flatMap((w) => ['=', '_', ':', '-'].map((sep) => w + sep)),
  ...['secret', 'signature', 'smb', 'skopeo', 'token', 'keydb', 'keytool', 'jarsigner'],
  ...['auth', 'akia', 'asia', 'agpa', 'aida', 'aroa', 'anpa', 'anva', 'aipa', 'aiza', 'apikey'],
  ...['credential', 'curl', 'cookie', 'crane', 'bearer', 'buildah'],
  ...['://@', '://u:p@', '://host.example.com:8080@', '://\u00e9\u4e2d@'],
  ...['mysql', 'maria', 'mongo', 'redis', 'rpcclient', 'valkey', 'openssl', 'oras', 'ldap', 'docker', 'nerdctl', 'npm_'],
  ...['helm', 'hooks.slack', 'hvs.', 'hvb.', 'hvr.', 'useradd', 'usermod'],
  ...['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_', 'glab-', 'glabc-', 'glabcd-'],
  ...[...'abposre'].map((c) => `xox${c}-`),
  ...['_live_', '_test_', 'eyj', '-----begin'],
  ...['_', '.', '-'].flatMap((c) => ['key', 'pin', 'sig', 'psk', 'pwd'].map((w) => c + w)),
  ...['identified', 'ipmitool', 'sqlcmd', 'bcp', 'isql', 'osql', 'zip', '7z', 'az', 'net'],
  ...['|sudo', '|kinit', '| sudo', '|\t\u00a0\u2028\ufeff\u3000 kinit', '<<<'],
];

// Next to a match, inside it, or in place of one of its characters: word and non-word characters,
// the separators, JS whitespace, and non-ASCII that case-folds to ASCII under /iu but not /i
const NEIGHBOURS = [
  ...[' ', 'x', 'X', '_', '9', '-', '.', '=', ':', '/', '@', '|', '<', '\t', '\u00a0', '\u2028', '\ufeff', '\u180e', '\u200b'],
  ...['\u017f', '\u212a', '\u0131', '\u0130', '\u00e9', '\u00c9', '\u0100', '\u4e2d', '\ud800', '\udfff', '\uffff', '\0'],
];

const caseForms = (s: string) => [s, s.toUpperCase(), [...s].map((c, k) => (k % 2 ? c.toUpperCase() : c)).join('')];

/** Every string from `m` with one character deleted, replaced or inserted, or two swapped. */
function* changes(m: string, chars: readonly string[]): Generator<string> {
  for (let k = 0; k <= m.length; k++) {
    if (k < m.length) yield m.slice(0, k) + m.slice(k + 1);
    if (k + 1 < m.length) yield m.slice(0, k) + m[k + 1] + m[k] + m.slice(k + 2);
    for (const c of chars) {
      if (k < m.length) yield m.slice(0, k) + c + m.slice(k + 1);
      yield m.slice(0, k) + c + m.slice(k);
    }
  }
}

/** The regex's top-level alternatives, as regexes of their own. */
function alternatives(re: RegExp): RegExp[] {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  const src = re.source;
  for (let k = 0; k < src.length; k++) {
    const c = src[k];
    if (c === '\\') k++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(src.slice(start, k));
      start = k + 1;
    }
  }
  out.push(src.slice(start));
  return out.map((a) => new RegExp(a, re.flags));
}

describe('builtinSuspect: the same answer as builtinTrigger.test', () => {
  it('has an example for every alternative of the regex', () => {
    const alts = alternatives(builtinTrigger);
    assert.ok(alts.length >= 30, `${alts.length} alternatives`);
    const missing = alts.filter((alt) => !EXAMPLES.some((e) => alt.test(e))).map((alt) => alt.source);
    assert.deepEqual(missing, []);
    for (const e of EXAMPLES) assert.ok(builtinSuspect(e), e);
  });

  it('each alternative at the start, middle and end, in any case, next to any character', () => {
    const strings: string[] = [];
    const few = ['', ' ', 'x', '_', '\u017f'];
    const sides: string[][] = few.map((f) => [f, f]);
    for (const n of NEIGHBOURS) for (const f of few) sides.push([n, f], [f, n]);
    for (const e of EXAMPLES) {
      for (const m of caseForms(e)) {
        for (const [before, after] of sides) {
          strings.push(before + m + after, `ls -la ${before}${m}${after} /tmp`, `${before}${m}${after} /tmp`, `ls ${before}${m}${after}`);
        }
      }
    }
    const { checked, suspect } = agree(strings);
    assert.ok(suspect > checked / 2 && suspect < checked, `${suspect} of ${checked}`);
  });

  it('near misses: every one-character change of each alternative, alone, between spaces and between word characters', () => {
    const strings: string[] = [];
    const chars = [...NEIGHBOURS, 'a', 'k', 'K', 's', 'S', 'z', 'Z', '7', 'y', 'n', '_'];
    for (const e of EXAMPLES) {
      for (const m of [e, e.toUpperCase()]) {
        for (const c of changes(m, chars)) strings.push(c, ` ${c} `, `a${c}1`, `|${c}|`);
      }
    }
    agree(strings);
  });

  it('code units in place of, before and after each character of each alternative', () => {
    // U+0000..U+02FF, JS whitespace, what case-maps to ASCII (U+017F, U+212A, U+0131, U+0130) and
    // the code units below U+0800 that share their low seven bits with a character of the example
    // (the scanner's tables look only at those). All 65,536 agree too, but take a minute.
    const units: number[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const s = String.fromCharCode(c);
      if (c < 0x300 || /\s/.test(s) || /[\0-\x7f]/.test(s.toUpperCase() + s.toLowerCase())) units.push(c);
    }
    let checked = 0;
    for (const e of EXAMPLES) {
      const low = new Set([...e].map((c) => c.charCodeAt(0) & 127));
      const mine = [...units];
      for (let c = 0x300; c < 0x800; c++) if (low.has(c & 127)) mine.push(c);
      const strings: string[] = [];
      for (const c of mine) {
        const u = String.fromCharCode(c);
        for (let k = 0; k <= e.length; k++) {
          if (k < e.length) strings.push(e.slice(0, k) + u + e.slice(k + 1));
          strings.push(e.slice(0, k) + u + e.slice(k));
        }
      }
      checked += agree(strings).checked;
    }
    assert.ok(checked > 500_000, `${checked}`);
  });

  it('every line, word, value and decoded argument of the real samples, and every string of their events', () => {
    const strings = new Set<string>();
    const add = (s: string) => {
      strings.add(s);
      for (const w of s.split(/\s+/)) strings.add(w);
    };
    const dir = new URL('./fixtures/samples/', import.meta.url);
    const audit = readFileSync(new URL('audit-raw.sample.log', dir), 'utf8').split('\n');
    for (const f of ['audit-raw.sample.log', 'bash_history.sample', 'snoopy-authlog.sample.log', 'snoopy-file.sample.log']) {
      for (const line of readFileSync(new URL(f, dir), 'utf8').split('\n')) {
        add(line);
        const cmd = line.indexOf(']: '); // a snoopy line's command
        if (cmd >= 0) add(line.slice(cmd + 3));
        for (const [, v] of line.matchAll(/[\w[\]-]+=("[^"]*"|'[^']*'|\S+)/g)) {
          add(v.replace(/^["']|["']$/g, ''));
          // the kernel hex-encodes an argument or a proctitle with odd characters, NUL-separated
          if (/^[0-9A-F]+$/.test(v) && v.length % 2 === 0) for (const arg of Buffer.from(v, 'hex').toString('latin1').split('\0')) add(arg);
        }
      }
    }
    const walk = (x: unknown): void => {
      if (typeof x === 'string') add(x);
      else if (x !== null && typeof x === 'object') for (const v of Object.values(x)) walk(v);
    };
    const stream = new AuditStream({ onRecord: walk, onError: () => {} });
    for (const l of audit) stream.line(l, 'sample');
    stream.flush();
    const { checked, suspect } = agree(strings);
    assert.ok(checked > 5_000 && suspect > 50, `${suspect} of ${checked}`);
  });

  it('a seeded fuzz of fragments of the alternatives, separators, spaces and non-ASCII', () => {
    const rand = prng(0x7219_9e2d);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
    // whole matches, their halves, and the letter runs of the regex's source
    const fragments = [
      ...EXAMPLES,
      ...EXAMPLES.flatMap((e) => [e.slice(0, Math.ceil(e.length / 2)), e.slice(Math.ceil(e.length / 2)), e.slice(0, -1), e.slice(1)]),
      ...(builtinTrigger.source.match(/[a-z]+/g) ?? []),
      ...['----', '---', '--', '://', ':/', '//', '<<', 'gl', 'xox', 'hv', 'h', 'v', 'ke', 'y', 'db', 'tool', 'user', 'git'],
    ].filter((f) => f !== '');
    const singles = [...NEIGHBOURS, ...'0123456789', ...'ABCXYZ', ...'abkpsz', '\u2029', '\u3000', '\u1680', '\u2000', '\u00e0', '\u20ac', '\ud83d\ude80'];
    let checked = 0;
    let suspect = 0;
    for (let round = 0; round < 30; round++) {
      const strings: string[] = [];
      for (let k = 0; k < 10_000; k++) {
        let s = '';
        for (let parts = 1 + Math.floor(rand() * 6); parts > 0; parts--) {
          let f = rand() < 0.55 ? pick(fragments) : pick(singles);
          if (rand() < 0.2) f = f.toUpperCase();
          else if (rand() < 0.1) f = [...f].map((c) => (rand() < 0.5 ? c.toUpperCase() : c)).join('');
          s += f;
        }
        strings.push(s);
      }
      const r = agree(strings);
      checked += r.checked;
      suspect += r.suspect;
    }
    assert.equal(checked, 300_000);
    assert.ok(suspect > checked / 5 && suspect < (checked * 4) / 5, `${suspect} of ${checked}`);
  });
});
