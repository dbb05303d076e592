// Programs whose options carry secrets in a way only that program defines (mysql's -pSECRET,
// curl's -u user:pass, sshpass -p, redis-cli -a, ...), keyed by the command's basename, and how
// each reads its short options: getopt-style clusters (`-vpPW` is -v then -p PW), or one option
// per word.

export type ToolKind =
  | 'mysql'
  | 'sshpass'
  | 'redis'
  | 'mongo'
  | 'curl'
  | 'openssl'
  | 'htpasswd'
  | 'smb'
  | 'ldap'
  | 'registry'
  | 'useradd'
  | 'mysqladmin'
  | 'aws'
  | 'ipmitool'
  | 'sqlcmd'
  | 'zip'
  | 'sevenzip'
  | 'az'
  | 'keytool'
  | 'sudo'
  | 'passwd'
  | 'chpasswd'
  | 'kinit'
  | 'smbpasswd'
  | 'echo'
  | 'gpg';

/** How the value of a secret option holds its secret. */
export const enum Secret {
  /** all of it */
  Value,
  /** all of it, but only when attached (mysql's bare -p prompts; the next word is the database) */
  Attached,
  /** after the first ':' (user:pass, file:passphrase) */
  UserPass,
  /** after the first '%' (smbclient's user%pass) */
  UserPct,
  /** all of it when it holds name=value pairs (a cookie string), else it names a file */
  Cookie,
}

export interface ToolSpec {
  kind: ToolKind;
  /** short options whose value is (or holds) a secret */
  secret?: Readonly<Record<string, Secret>>;
  /** the other short options that take a value: a cluster ends there and the next word is skipped */
  takes?: string;
  /** options are one per word (`-a PW`, `-PPW`): no getopt clusters */
  single?: boolean;
  /** reads a secret on stdin whatever its options (chpasswd, kinit) */
  stdin?: 'value' | 'userpass';
}

const table: Record<string, ToolSpec> = {};
const add = (spec: ToolSpec, names: string[]): void => {
  for (const n of names) table[n] = spec;
};
const mysql: ToolSpec = { kind: 'mysql', secret: { p: Secret.Attached }, takes: 'hPSuDe' };
add(mysql, [
  'mysql',
  'mariadb',
  'mysqldump',
  'mariadb-dump',
  'mysqlimport',
  'mariadb-import',
  'mysqlcheck',
  'mariadb-check',
  'mysqlshow',
  'mariadb-show',
  'mysqlpump',
  'mysqlbinlog',
  'mariadb-binlog',
  'mysqlslap',
  'mysqlsh',
]);
add({ ...mysql, kind: 'mysqladmin' }, ['mysqladmin', 'mariadb-admin']);
add({ kind: 'sshpass', secret: { p: Secret.Value }, takes: 'fdP' }, ['sshpass']);
add({ kind: 'redis', secret: { a: Secret.Value }, single: true }, ['redis-cli', 'redis-benchmark', 'valkey-cli', 'keydb-cli']);
add({ kind: 'mongo', secret: { p: Secret.Value }, takes: 'uhd' }, [
  'mongo',
  'mongosh',
  'mongodump',
  'mongorestore',
  'mongoexport',
  'mongoimport',
  'mongostat',
  'mongotop',
  'mongofiles',
]);
add({ kind: 'curl', secret: { u: Secret.UserPass, U: Secret.UserPass, E: Secret.UserPass, b: Secret.Cookie }, takes: 'AcCdDeFHKmoPQrtTwxXyYz' }, ['curl']);
add({ kind: 'openssl', single: true }, ['openssl']);
add({ kind: 'htpasswd', takes: 'Cr' }, ['htpasswd']);
add({ kind: 'smb', secret: { U: Secret.UserPct }, takes: 'WIpnsOlRmMTcDLAdt' }, ['smbclient', 'rpcclient', 'smbcacls', 'smbget', 'net', 'smbmap']);
add({ kind: 'ldap', secret: { w: Secret.Value }, takes: 'DbHhpsfyoeElzTUXRYOaP' }, [
  'ldapsearch',
  'ldapadd',
  'ldapmodify',
  'ldapdelete',
  'ldapwhoami',
  'ldapmodrdn',
  'ldapcompare',
  'ldapexop',
]);
// ldappasswd -s is the new password, -a the old one (elsewhere -s is a search scope)
add({ kind: 'ldap', secret: { w: Secret.Value, s: Secret.Value, a: Secret.Value }, takes: 'DbHhpfyoeElzTUXRYOP' }, ['ldappasswd']);
add({ kind: 'registry', takes: 'u' }, ['docker', 'podman', 'nerdctl', 'buildah', 'skopeo', 'helm', 'crane', 'oras']);
add({ kind: 'useradd', secret: { p: Secret.Value }, takes: 'bcdefgGkKsuRPZl' }, ['useradd', 'usermod']);
add({ kind: 'aws', single: true }, ['aws']);
add({ kind: 'ipmitool', secret: { P: Secret.Value, k: Secret.Value, y: Secret.Value }, takes: 'HUILpCfoRNSTtbBmOzeA' }, ['ipmitool']);
add({ kind: 'sqlcmd', secret: { P: Secret.Value }, single: true }, ['sqlcmd', 'bcp', 'osql', 'isql']);
add({ kind: 'zip', secret: { P: Secret.Value }, takes: 'bntxiZsOd' }, ['zip', 'unzip', 'zipcloak', 'funzip']);
add({ kind: 'sevenzip', secret: { p: Secret.Attached }, single: true }, ['7z', '7za', '7zr', '7zz', 'p7zip']);
add({ kind: 'az', secret: { p: Secret.Value }, single: true }, ['az']);
add({ kind: 'keytool', single: true }, ['keytool', 'jarsigner']);
add({ kind: 'sudo', takes: 'ugpChDrtTUc' }, ['sudo']);
add({ kind: 'passwd', single: true }, ['passwd']);
add({ kind: 'chpasswd', single: true, stdin: 'userpass' }, ['chpasswd', 'chgpasswd']);
add({ kind: 'kinit', single: true, stdin: 'value' }, ['kinit']);
add({ kind: 'smbpasswd', takes: 'rUcDLR' }, ['smbpasswd']);
add({ kind: 'echo', single: true }, ['echo', 'printf']);
add({ kind: 'gpg', single: true }, ['gpg', 'gpg2']);

export const toolNames: readonly string[] = Object.keys(table);

/** The tool a word names ("/usr/bin/mysql" → mysql), or undefined. A URL never names one. */
export function toolOf(word: string): ToolSpec | undefined {
  const slash = word.lastIndexOf('/');
  if (slash >= 0 && word.includes(':')) return undefined;
  const base = slash < 0 ? word : word.slice(slash + 1);
  return Object.hasOwn(table, base) ? table[base] : undefined;
}

/** keytool/jarsigner single-dash options whose next word is a password */
export const KEYTOOL_SECRET = new Set(['storepass', 'keypass', 'srcstorepass', 'deststorepass', 'srckeypass', 'destkeypass', 'new']);
