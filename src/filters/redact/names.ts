// Which names hold secrets: environment variables (PGPASSWORD, AWS_SECRET_ACCESS_KEY, API_TOKEN),
// long options (--password, --api-key, --client-secret) and query/keyword parameters
// (token=, api_key=, password=). Names that point at a secret rather than hold one
// (PASSWORD_FILE, --password-stdin, --no-password) and PWD (the working directory) are not.

const WORDS = new Set([
  'PASSWORD',
  'PASSWD',
  'PASS',
  'PWD',
  'SECRET',
  'SECRETS',
  'TOKEN',
  'TOKENS',
  'KEY',
  'APIKEY',
  'PASSPHRASE',
  'CREDENTIAL',
  'CREDENTIALS',
  'AUTH',
  'SIG',
  'SIGNATURE',
  'PSK',
  'PIN',
  'SSHPASS',
  'AUTHTOKEN',
]);
const INFIXES = ['PASSWORD', 'PASSWD', 'SECRET', 'TOKEN', 'APIKEY', 'PASSPHRASE', 'CREDENTIAL'];
/** a last word that makes the name a pointer or a property, not the secret */
const NOT_SECRET_LAST = new Set([
  'FILE',
  'PATH',
  'DIR',
  'ENV',
  'CMD',
  'COMMAND',
  'FD',
  'STDIN',
  'PROMPT',
  'TYPE',
  'ID',
  'NAME',
  'LEN',
  'LENGTH',
  'SIZE',
  'MODE',
  'ALGORITHM',
  'ALG',
  'EXPIRY',
  'EXPIRES',
  'TTL',
  'FORMAT',
  'SOCK',
  'HELPER',
]);
const NOT_SECRET = new Set(['PWD', 'OLDPWD', 'AUTH', 'KEY', 'PIN', 'SIG', 'XAUTHORITY', 'GPG_TTY', 'SSH_AUTH_SOCK']);

// Names repeat (PGPASSWORD, --password, token=): remember the answers, within bounds.
const memo = new Map<string, boolean>();

export function isSecretName(name: string): boolean {
  let v = memo.get(name);
  if (v === undefined) {
    v = judge(name);
    if (memo.size >= 4096) memo.clear();
    memo.set(name, v);
  }
  return v;
}

function judge(name: string): boolean {
  if (name.length < 3 || name.length > 64) return false;
  const up = name.toUpperCase();
  if (NOT_SECRET.has(up)) return false;
  if (up.startsWith('NO_') || up.startsWith('NO-') || up.startsWith('ASK')) return false;
  const parts = up.split(/[_\-.]+/);
  const last = parts[parts.length - 1];
  if (NOT_SECRET_LAST.has(last)) return false;
  for (const p of parts) if (WORDS.has(p)) return true;
  for (const w of INFIXES) if (up.includes(w)) return true;
  return false;
}
