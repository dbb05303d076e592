// Secret shapes found anywhere in a string (no command context needed): URL credentials,
// HTTP auth headers, secret query parameters, well-known token formats, private key blocks.
// Each pattern marks the secret with a named group `s`; the rest of the match is kept, so
// `https://bob:****@host` and `Authorization: Bearer ****` still say what was there.
import { configError } from '../../errors.js';
import { isSecretName } from './names.js';
import { catastrophicBacktracking } from '../regex-safety.js';

export interface PatternRule {
  name: string;
  re: RegExp;
  /**
   * Lowercase substrings one of which any match contains: the rule's regex only runs on a
   * string whose lowercase form has one (a few includes() cost far less than a regex scan).
   */
  hints?: string[];
  /** Extra test on the match (a parameter's name), when the shape alone is not enough. */
  accept?: (m: RegExpExecArray) => boolean;
  /** The capture group holding the secret when it is not named `s` (user rules). */
  group?: number;
}

const rule = (name: string, hints: string[], source: string, flags = '', accept?: PatternRule['accept']): PatternRule => ({
  name,
  hints,
  re: new RegExp(source, `${flags}gd`),
  accept,
});

export const builtinPatterns: PatternRule[] = [
  rule(
    'private-key',
    ['-----begin'],
    String.raw`-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?<s>[\s\S]*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)`,
  ),
  rule('url-credentials', ['://'], String.raw`\b[a-z][a-z0-9+.-]{1,30}://[^\s:@/?#'"]*:(?<s>[^\s@/?#'"]+)@`, 'i'),
  rule(
    'authorization-header',
    ['authorization'],
    String.raw`(?<![\w/@.-])(?:proxy-)?authorization\s*[:=]\s*(?:(?:bearer|basic|token|digest|negotiate|bot|apikey|key|sso-key)\s+)?(?<s>[^\s'",;]+)`,
    'i',
  ),
  rule(
    'secret-header',
    ['api-key', 'apikey', 'token'],
    String.raw`(?<![\w/@.-])(?:x-api-key|api-key|apikey|x-auth-token|x-access-token|private-token|job-token|x-vault-token|x-amz-security-token)\s*:\s*(?<s>[^\s'",;]+)`,
    'i',
  ),
  // every name=value pair of the cookie string, not just the first
  rule('cookie-header', ['cookie'], String.raw`(?<![\w/@.-])(?:set-)?cookie\s*:\s*(?<s>[^\s;'"]+(?:\s*;\s*[^\s;'"=]+=[^\s;'"]*)*)`, 'i'),
  // any header (or `name: value` line) whose name says secret: X-Upstream-Token, X-Signature, Db-Password
  rule(
    'named-header',
    ['token', 'key', 'secret', 'pass', 'auth', 'signature', 'credential', 'pwd', 'psk'],
    String.raw`(?<![\w/@.-])(?<n>[A-Za-z][A-Za-z0-9_-]{1,62})[ \t]*:[ \t]*(?<s>[^\s'",;]+)`,
    '',
    (m) => isSecretName(m.groups!.n),
  ),
  // SQL: CREATE/ALTER USER ... IDENTIFIED BY '...', WITH PASSWORD '...', SET PASSWORD = PASSWORD('...')
  rule('sql-identified', ['identified'], String.raw`\bidentified\s+(?:with\s+\S+\s+)?(?:by|as)\s+(?:password\s*\(?\s*)?'(?<s>(?:[^'\\]|\\.|'')*)'`, 'i'),
  rule('sql-identified-dq', ['identified'], String.raw`\bidentified\s+(?:with\s+\S+\s+)?(?:by|as)\s+(?:password\s*\(?\s*)?"(?<s>(?:[^"\\]|\\.)*)"`, 'i'),
  // the same with the quotes gone (a snoopy line's argv, a shell that already removed them)
  rule('sql-identified-bare', ['identified'], String.raw`\bidentified\s+(?:with\s+\S+\s+)?(?:by|as)\s+(?:password\s*\(?\s*)?(?<s>[^\s'"();]+)`, 'i'),
  rule('sql-password-bare', ['password'], String.raw`\b(?:with|login|set)\s+password\s*(?:for\s+\S+\s*)?=?\s*(?:password\s*\(\s*)?(?<s>[^\s'"();=]+)`, 'i'),
  // .npmrc settings: //registry/:_authToken=..., :_password=
  rule('npmrc-auth', ['_auth', '_password'], String.raw`:_(?:authToken|auth|password)=(?<s>[^\s'"]+)`),
  rule('sql-password', ['password'], String.raw`\bpassword\s*(?:=\s*|for\s+\S+\s*=\s*)?(?:password\s*)?\(?\s*'(?<s>(?:[^'\\]|\\.|'')*)'`, 'i'),
  rule('bearer', ['bearer'], String.raw`\bbearer\s+(?<s>[A-Za-z0-9._~+/=-]{8,})`, 'i'),
  rule('query-parameter', ['='], String.raw`[?&;](?<n>[A-Za-z0-9_.\-\[\]]{2,64})=(?<s>[^&#\s;'"]+)`, '', (m) =>
    isSecretName(m.groups!.n.replace(/[[\]]/g, '')),
  ),
  rule('json-field', ['"'], String.raw`"(?<n>[A-Za-z0-9_.-]{2,64})"\s*:\s*"(?<s>[^"\\]+)"`, '', (m) => isSecretName(m.groups!.n)),
  rule(
    'aws-access-key-id',
    ['akia', 'asia', 'agpa', 'aida', 'aroa', 'anpa', 'anva', 'aipa'],
    String.raw`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)(?<s>[A-Z0-9]{16})\b`,
  ),
  rule('github-token', ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'], String.raw`\b(?:gh[pousr]_|github_pat_)(?<s>[A-Za-z0-9_]{8,})`),
  rule('gitlab-token', ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glft-', 'glsoat-'], String.raw`\b(?:glpat|gldt|glrt|glptt|glft|glsoat)-(?<s>[A-Za-z0-9_-]{8,})`),
  rule('slack-token', ['xox'], String.raw`\bxox[abposre]-(?<s>[A-Za-z0-9-]{8,})`),
  rule('slack-webhook', ['hooks.slack.com'], String.raw`hooks\.slack\.com/(?:services|workflows)/(?<s>[A-Za-z0-9/_-]{8,})`),
  rule('google-api-key', ['aiza'], String.raw`\bAIza(?<s>[0-9A-Za-z_-]{30,})`),
  rule('stripe-key', ['_live_', '_test_'], String.raw`\b(?:sk|rk)_(?:live|test)_(?<s>[0-9A-Za-z]{10,})`),
  rule('vault-token', ['hvs.', 'hvb.', 'hvr.'], String.raw`\bhv[sbr]\.(?<s>[A-Za-z0-9_-]{20,})`),
  rule('npm-token', ['npm_'], String.raw`\bnpm_(?<s>[A-Za-z0-9]{30,})`),
  // JWS and JWE: a base64url JSON header, then parts that need not be JSON
  rule('jwt', ['eyj'], String.raw`(?<![A-Za-z0-9_-])(?<s>eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_.-]*)`),
];

/**
 * A cheap first look: every builtin rule (patterns above, the token rules and the tools) needs
 * one of these substrings, so a string without any is clean and costs one scan. Alternatives are
 * grouped by first letter (a trie) so the regex engine rejects most positions on one character;
 * short words (key, pin, sig, psk, pwd) only count next to a name separator, as in API_KEY= or
 * ?sig=, or "keyboard" and "ping" would send every other command through the full rules.
 * The screen runs as builtinSuspect (trigger.ts), the same alternatives scanned by hand (2.7x
 * faster); this regex is what it must answer, and its tests compare the two.
 */
export const builtinTrigger =
  /p(?:ass|sk[=_:-]|wd[=_:-]|in[=_:-]|odman)|s(?:ecret|ignature|ig[=_:-]|mb|kopeo)|token|ke(?:y[=_:-]|ydb)|a(?:uth|kia|sia|gpa|ida|roa|npa|nva|ipa|iza|pikey)|c(?:redential|url|ookie|rane)|b(?:earer|uildah)|:\/\/[^/\s]*@|m(?:ysql|aria|ongo)|r(?:edis|pcclient)|valkey|o(?:penssl|ras)|ldap|docker|n(?:erdctl|pm_)|h(?:elm|ooks\.slack|v[sbr]\.)|user(?:add|mod)|g(?:h[pousr]_|ithub_pat_|l[a-z]{2,4}-)|xox[abposre]-|_(?:live|test)_|eyj|-----begin|[_.-](?:key|pin|sig|psk|pwd)|identified|ipmitool|sqlcmd|\bbcp\b|[io]sql\b|zip|7z|\baz\b|keytool|jarsigner|\|\s*(?:sudo|kinit)|<<<|\bnet\b/i;

export interface UserRuleConfig {
  pattern: string;
  flags?: string;
  name?: string;
}

/**
 * A user rule: the whole match is the secret, unless the pattern has a group named `secret`
 * or any capturing group (then the `secret` group, else group 1, is replaced and the rest kept).
 */
export function compileUserRule(cfg: UserRuleConfig, where: string): PatternRule {
  const flags = (cfg.flags ?? '').replace(/[gdy]/g, '');
  let re: RegExp;
  try {
    re = new RegExp(cfg.pattern, `${flags}gd`);
  } catch (err) {
    throw configError(where, `invalid regular expression: ${(err as Error).message}`);
  }
  const danger = catastrophicBacktracking(cfg.pattern, flags);
  if (danger !== undefined) throw configError(`${where}.pattern`, danger);
  if (re.test('')) throw configError(where, 'pattern matches the empty string; it would redact nothing but cost every record');
  re.lastIndex = 0;
  const hasNamed = cfg.pattern.includes('(?<secret>');
  // capturing groups of the pattern: an alternative with the empty string always matches
  const groups = new RegExp(`${cfg.pattern}|`, flags).exec('')!.length - 1;
  const name = cfg.name ?? `user:${cfg.pattern}`;
  if (hasNamed) return { name, re: new RegExp(cfg.pattern.replace('(?<secret>', '(?<s>'), `${flags}gd`) };
  if (groups > 0) return { name, re, group: 1 };
  return { name, re: new RegExp(`(?<s>${cfg.pattern})`, `${flags}gd`) };
}

/** Where the secret of a match is: the `s` group, or group 1 for user rules without one. */
export function secretSpan(rule: PatternRule, m: RegExpExecArray): [number, number] | undefined {
  const idx = m.indices!;
  return (rule.group !== undefined ? idx[rule.group] : idx.groups?.s) ?? undefined;
}
