// Programs whose options carry secrets in a way only that program defines (mysql's -pSECRET,
// curl's -u user:pass, sshpass -p, redis-cli -a, ...), keyed by the command's basename.

export type ToolKind =
  | 'mysql' | 'sshpass' | 'redis' | 'mongo' | 'curl' | 'openssl' | 'htpasswd' | 'smb' | 'ldap'
  | 'registry' | 'useradd' | 'mysqladmin' | 'aws';

const table: Record<string, ToolKind> = {};
const add = (kind: ToolKind, names: string[]): void => {
  for (const n of names) table[n] = kind;
};
add('mysql', ['mysql', 'mariadb', 'mysqldump', 'mariadb-dump', 'mysqlimport', 'mariadb-import', 'mysqlcheck',
  'mariadb-check', 'mysqlshow', 'mariadb-show', 'mysqlpump', 'mysqlbinlog', 'mariadb-binlog', 'mysqlslap', 'mysqlsh']);
add('mysqladmin', ['mysqladmin', 'mariadb-admin']);
add('sshpass', ['sshpass']);
add('redis', ['redis-cli', 'redis-benchmark', 'valkey-cli', 'keydb-cli']);
add('mongo', ['mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport', 'mongostat', 'mongotop', 'mongofiles']);
add('curl', ['curl']);
add('openssl', ['openssl']);
add('htpasswd', ['htpasswd']);
add('smb', ['smbclient', 'rpcclient', 'smbcacls', 'smbget', 'net', 'smbmap']);
add('ldap', ['ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'ldapwhoami', 'ldappasswd', 'ldapmodrdn', 'ldapcompare', 'ldapexop']);
add('registry', ['docker', 'podman', 'nerdctl', 'buildah', 'skopeo', 'helm', 'crane', 'oras']);
add('useradd', ['useradd', 'usermod']);
add('aws', ['aws']);

export const toolNames: readonly string[] = Object.keys(table);

/** The tool a token names ("/usr/bin/mysql" → mysql), or undefined. */
export function toolOf(token: string): ToolKind | undefined {
  const slash = token.lastIndexOf('/');
  const base = slash < 0 ? token : token.slice(slash + 1);
  return Object.hasOwn(table, base) ? table[base] : undefined;
}
