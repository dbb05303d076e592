// builtinSuspect(s) is builtinTrigger.test(s) (rules.ts) written by hand, for speed: the screen
// runs on every command line, argument and message, and V8 runs the regex's alternation at every
// position, ~6.6 ns a character on real audit strings; this reads each character once, ~2.4 ns
// (both measured over the strings of test/fixtures/samples/audit-raw.sample.log, warm).
// It keeps the last two characters and looks them up in PAIR, then the third in THIRD: tables of
// the first three characters of the alternatives (STARTS). Only where three fit (~0.6% of the
// positions of real text) does alternativeAt check the alternatives by hand, each as in the regex.
//
// The same answer for every string: test/redact-trigger.test.ts compares the two. The regex is
// /i without /u: a letter matches only its ASCII upper or lower case (V8 folds neither U+017F to
// s nor U+212A to k), \b is [A-Za-z0-9_] against anything else, \s is JS whitespace (U+00A0,
// U+2028, U+FEFF...). Non-ASCII needs no slow path.

/** `s[i..]` starts with `word` (lowercase ASCII), letters in either case, other characters exactly. */
function is(s: string, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    const w = word.charCodeAt(k);
    const c = s.charCodeAt(i + k);
    if (c !== w && !(w >= 0x61 && w <= 0x7a && c === w - 0x20)) return false;
  }
  return true;
}

const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isWord = (c: number) => isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x5f; // NaN (out of range) is not
/** [=_:-] */
const isSep = (c: number) => c === 0x3d || c === 0x5f || c === 0x3a || c === 0x2d;
/** JS \s */
const isSpace = (c: number) =>
  (c >= 0x09 && c <= 0x0d) ||
  c === 0x20 ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;
/** \b before `s[i]` (from the start): a word character on one side only */
const wordStart = (s: string, i: number) => !isWord(s.charCodeAt(i - 1));
/** \b after `s[i - 1]` (at the end): `s[i]` is not a word character */
const wordEnd = (s: string, i: number) => !isWord(s.charCodeAt(i));

/** Some alternative of the regex matches at `s[i]`: those that start with its character. */
function alternativeAt(s: string, i: number): boolean {
  let c = s.charCodeAt(i);
  if (c >= 0x41 && c <= 0x5a) c += 0x20;
  switch (c) {
    case 0x70: // p(?:ass|sk[=_:-]|wd[=_:-]|in[=_:-]|odman)
      return is(s, i, 'pass') || ((is(s, i, 'psk') || is(s, i, 'pwd') || is(s, i, 'pin')) && isSep(s.charCodeAt(i + 3))) || is(s, i, 'podman');
    case 0x73: // s(?:ecret|ignature|ig[=_:-]|mb|kopeo), sqlcmd
      return (
        is(s, i, 'secret') ||
        is(s, i, 'signature') ||
        (is(s, i, 'sig') && isSep(s.charCodeAt(i + 3))) ||
        is(s, i, 'smb') ||
        is(s, i, 'skopeo') ||
        is(s, i, 'sqlcmd')
      );
    case 0x74: // token
      return is(s, i, 'token');
    case 0x6b: // ke(?:y[=_:-]|ydb), keytool
      return is(s, i, 'key') && (isSep(s.charCodeAt(i + 3)) || is(s, i + 3, 'db') || is(s, i + 3, 'tool'));
    case 0x61: // a(?:uth|kia|sia|gpa|ida|roa|npa|nva|ipa|iza|pikey), \baz\b
      return (
        is(s, i, 'auth') ||
        is(s, i, 'akia') ||
        is(s, i, 'asia') ||
        is(s, i, 'agpa') ||
        is(s, i, 'aida') ||
        is(s, i, 'aroa') ||
        is(s, i, 'anpa') ||
        is(s, i, 'anva') ||
        is(s, i, 'aipa') ||
        is(s, i, 'aiza') ||
        is(s, i, 'apikey') ||
        (is(s, i, 'az') && wordStart(s, i) && wordEnd(s, i + 2))
      );
    case 0x63: // c(?:redential|url|ookie|rane)
      return is(s, i, 'credential') || is(s, i, 'curl') || is(s, i, 'cookie') || is(s, i, 'crane');
    case 0x62: // b(?:earer|uildah), \bbcp\b
      return is(s, i, 'bearer') || is(s, i, 'buildah') || (is(s, i, 'bcp') && wordStart(s, i) && wordEnd(s, i + 3));
    case 0x3a: // :\/\/[^/\s]*@
      if (!is(s, i, '://')) return false;
      for (let j = i + 3; j < s.length; j++) {
        const d = s.charCodeAt(j);
        if (d === 0x40) return true;
        if (d === 0x2f || isSpace(d)) return false;
      }
      return false;
    case 0x6d: // m(?:ysql|aria|ongo)
      return is(s, i, 'mysql') || is(s, i, 'maria') || is(s, i, 'mongo');
    case 0x72: // r(?:edis|pcclient)
      return is(s, i, 'redis') || is(s, i, 'rpcclient');
    case 0x76: // valkey
      return is(s, i, 'valkey');
    case 0x6f: // o(?:penssl|ras), osql\b
      return is(s, i, 'openssl') || is(s, i, 'oras') || (is(s, i, 'osql') && wordEnd(s, i + 4));
    case 0x6c: // ldap
      return is(s, i, 'ldap');
    case 0x64: // docker
      return is(s, i, 'docker');
    case 0x6e: // n(?:erdctl|pm_), \bnet\b
      return is(s, i, 'nerdctl') || is(s, i, 'npm_') || (is(s, i, 'net') && wordStart(s, i) && wordEnd(s, i + 3));
    case 0x68: // h(?:elm|ooks\.slack|v[sbr]\.)
      return is(s, i, 'helm') || is(s, i, 'hooks.slack') || is(s, i, 'hvs.') || is(s, i, 'hvb.') || is(s, i, 'hvr.');
    case 0x75: // user(?:add|mod)
      return is(s, i, 'user') && (is(s, i + 4, 'add') || is(s, i + 4, 'mod'));
    case 0x67: {
      // g(?:h[pousr]_|ithub_pat_|l[a-z]{2,4}-)
      if (is(s, i, 'gh')) {
        const d = s.charCodeAt(i + 2) | 0x20;
        return (d === 0x70 || d === 0x6f || d === 0x75 || d === 0x73 || d === 0x72) && s.charCodeAt(i + 3) === 0x5f; // [pousr]_
      }
      if (is(s, i, 'github_pat_')) return true;
      if (!is(s, i, 'gl')) return false;
      let j = i + 2; // [a-z]{2,4} then -: the run of letters, 2 to 4 long, ends at the -
      while (j < i + 7 && isLetter(s.charCodeAt(j))) j++;
      const run = j - (i + 2);
      return run >= 2 && run <= 4 && s.charCodeAt(j) === 0x2d;
    }
    case 0x78: {
      // xox[abposre]-
      if (!is(s, i, 'xox') || s.charCodeAt(i + 4) !== 0x2d) return false;
      const d = s.charCodeAt(i + 3) | 0x20;
      return d === 0x61 || d === 0x62 || d === 0x70 || d === 0x6f || d === 0x73 || d === 0x72 || d === 0x65;
    }
    case 0x65: // eyj
      return is(s, i, 'eyj');
    case 0x6a: // jarsigner
      return is(s, i, 'jarsigner');
    case 0x69: // identified, ipmitool, isql\b
      return is(s, i, 'identified') || is(s, i, 'ipmitool') || (is(s, i, 'isql') && wordEnd(s, i + 4));
    case 0x7a: // zip
      return is(s, i, 'zip');
    case 0x37: // 7z
      return is(s, i, '7z');
    case 0x7c: {
      // \|\s*(?:sudo|kinit)
      let j = i + 1;
      while (isSpace(s.charCodeAt(j))) j++;
      return is(s, j, 'sudo') || is(s, j, 'kinit');
    }
    case 0x3c: // <<<
      return is(s, i, '<<<');
    case 0x5f: // _(?:live|test)_, [_.-](?:key|pin|sig|psk|pwd)
      return is(s, i, '_live_') || is(s, i, '_test_') || nameSuffix(s, i + 1);
    case 0x2d: // -----begin, [_.-](?:key|pin|sig|psk|pwd)
      return is(s, i, '-----begin') || nameSuffix(s, i + 1);
    case 0x2e: // [_.-](?:key|pin|sig|psk|pwd)
      return nameSuffix(s, i + 1);
    default:
      return false;
  }
}

/** (?:key|pin|sig|psk|pwd) at `s[i]` */
const nameSuffix = (s: string, i: number) => is(s, i, 'key') || is(s, i, 'pin') || is(s, i, 'sig') || is(s, i, 'psk') || is(s, i, 'pwd');

/**
 * The first three characters of every alternative above, lowercase, ? for any character
 * ([pousr] and the like written out; gl[a-z], \baz\b, 7z and \|\s* take more than they need).
 */
const STARTS =
  'pas psk pwd pin pod sec sig smb sko sql tok key aut aki asi agp aid aro anp anv aip aiz api az? cre cur coo cra bea bui bcp ' +
  ':// mys mar mon red rpc val ope ora osq lda doc ner npm net hel hoo hvs hvb hvr use ghp gho ghu ghs ghr git gl? xox eyj ' +
  '_li _te _ke _pi _si _ps _pw --- -ke -pi -si -ps -pw .ke .pi .si .ps .pw ide ipm isq zip 7z? jar |?? <<<';

// PAIR[a << 7 | b]: 0, or the row of THIRD for the characters a, b (either case); THIRD[row << 7 | c]:
// the third character c (either case) can follow. A character counts as its code & 127: a
// character >= 128 may look like an ASCII one here, which costs a needless check, never a miss,
// as no alternative needs one except where a ? takes any.
const PAIR = new Uint8Array(128 * 128);
const THIRD = new Uint8Array(128 * 128);
{
  const cases = (ch: string) => {
    const c = ch.charCodeAt(0);
    if (ch === '?') return Array.from({ length: 128 }, (_, k) => k);
    return c >= 0x61 && c <= 0x7a ? [c, c - 0x20] : [c];
  };
  const rows = new Map<string, number>(); // one row for the first two characters in every case
  for (const start of STARTS.split(' ')) {
    const row = rows.get(start.slice(0, 2)) ?? rows.set(start.slice(0, 2), rows.size + 1).size;
    for (const a of cases(start[0])) for (const b of cases(start[1])) PAIR[(a << 7) | b] = row;
    for (const c of cases(start[2])) THIRD[(row << 7) | c] = 1;
  }
}

/** `builtinTrigger.test(s)`, for every string. */
export function builtinSuspect(s: string): boolean {
  const n = s.length;
  let pair = 0; // the last two characters, (s[i - 2] & 127) << 7 | s[i - 1] & 127
  let row = 0; // PAIR[pair]
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) & 127;
    if (THIRD[(row << 7) | c] !== 0 && alternativeAt(s, i - 2)) return true;
    pair = ((pair << 7) | c) & 0x3fff;
    row = PAIR[pair];
  }
  return THIRD[row << 7] !== 0 && alternativeAt(s, n - 2); // 7z, az at the end: the end counts as 0
}
