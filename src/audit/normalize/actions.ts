// What an audit event means, as data: syscall name → action / ECS category+type / how to read
// its object, and record type → the same for events that are not syscalls (or whose record type
// says more than the syscall that carried it: LOGIN written by cron's write(2)).
// The action words are go-libaudit's aucoalesce / auparse vocabulary so dashboards built for
// Auditbeat read auditflow's records unchanged. Adding a syscall is one line here.

/** How the normalizer finds the event's object. */
export type ObjectKind =
  | 'exec'
  | 'open'
  | 'file'
  | 'rename'
  | 'link'
  | 'symlink'
  | 'chmod'
  | 'chown'
  | 'socket'
  | 'setuid'
  | 'setgid'
  | 'module'
  | 'pid'
  | 'none';

export interface ActionSpec {
  action: string;
  category: readonly string[];
  type: readonly string[];
  object: ObjectKind;
  /** register (0-3) holding the dirfd the first path is relative to (the *at calls) */
  dirfd?: number;
  /** register holding the dirfd of the second path (renameat/linkat new name) */
  dirfd2?: number;
  /** socket: which end the sockaddr names */
  peer?: 'destination' | 'source';
  /** open: flags register; chmod: mode register; chown: uid register (gid is the next one) */
  arg?: number;
  /** open: the call always creates (creat) */
  creates?: boolean;
}

type Extra = Partial<Omit<ActionSpec, 'action' | 'category' | 'type' | 'object'>>;

// Records share these arrays (one allocation per table entry, not per event). They are frozen
// so a filter that wants to add a category must copy rather than change every record at once.
const frozen = <T>(a: readonly T[]): readonly T[] => Object.freeze(a.slice());

const FILE = ['file'] as const;
const PROCESS = ['process'] as const;
const NETWORK = ['network'] as const;
const HOST = ['host'] as const;
const DRIVER = ['driver'] as const;
const AUTH = ['authentication'] as const;
const SESSION = ['session'] as const;
const IAM = ['iam'] as const;
const CONFIG = ['configuration'] as const;
const INTRUSION = ['intrusion_detection'] as const;

const syscallTable: Record<string, ActionSpec> = Object.create(null);
function syscalls(names: string, action: string, category: readonly string[], type: readonly string[], object: ObjectKind, extra?: Extra): void {
  const spec = { action, category: frozen(category), type: frozen(type), object, ...extra };
  for (const name of names.split(' ')) syscallTable[name] = spec;
}
/** Same meaning, but each call has its own register layout. */
function syscall(name: string, action: string, category: readonly string[], type: readonly string[], object: ObjectKind, extra?: Extra): void {
  syscallTable[name] = { action, category: frozen(category), type: frozen(type), object, ...extra };
}

// processes
syscall('execve', 'executed', PROCESS, ['start'], 'exec');
syscall('execveat', 'executed', PROCESS, ['start'], 'exec', { dirfd: 0 });
syscalls('kill tkill tgkill', 'killed-pid', PROCESS, ['end'], 'pid');
syscall('ptrace', 'traced-pid', PROCESS, ['access'], 'pid');
syscalls('setuid setuid32 seteuid setreuid setreuid32 setresuid setresuid32 setfsuid setfsuid32', 'changed-identity-of', PROCESS, ['change'], 'setuid');
syscalls('setgid setgid32 setegid setregid setregid32 setresgid setresgid32 setfsgid setfsgid32', 'changed-identity-of', PROCESS, ['change'], 'setgid');
syscalls('sched_setparam sched_setscheduler sched_setattr', 'adjusted-scheduling-policy-of', PROCESS, ['change'], 'none');
syscalls('mmap mmap2 brk', 'allocated-memory', PROCESS, ['info'], 'none');

// network
syscall('connect', 'connected-to', NETWORK, ['connection', 'start'], 'socket', { peer: 'destination' });
syscalls('accept accept4', 'accepted-connection-from', NETWORK, ['connection', 'start'], 'socket', { peer: 'source' });
// the address given to bind is this host's own end
syscall('bind', 'bound-socket', NETWORK, ['start'], 'socket', { peer: 'source' });
syscall('listen', 'listen-for-connections', NETWORK, ['start'], 'socket');
syscalls('send sendto sendmsg sendmmsg', 'sent-to', NETWORK, ['connection', 'info'], 'socket', { peer: 'destination' });
syscalls('recv recvfrom recvmsg recvmmsg', 'received-from', NETWORK, ['connection', 'info'], 'socket', { peer: 'source' });

// files: open family (flags decide access vs change vs creation)
syscall('open', 'opened-file', FILE, ['access'], 'open', { arg: 1 });
syscall('openat', 'opened-file', FILE, ['access'], 'open', { dirfd: 0, arg: 2 });
syscall('openat2', 'opened-file', FILE, ['access'], 'open', { dirfd: 0 }); // flags sit in struct open_how
syscall('open_by_handle_at', 'opened-file', FILE, ['access'], 'open', { arg: 2 });
syscall('creat', 'opened-file', FILE, ['creation'], 'open', { creates: true });
syscalls('truncate truncate64 ftruncate ftruncate64 fallocate', 'opened-file', FILE, ['change'], 'file');
syscalls('readlink', 'opened-file', FILE, ['access'], 'file');
syscall('readlinkat', 'opened-file', FILE, ['access'], 'file', { dirfd: 0 });
syscall('read', 'read-file', FILE, ['access'], 'file');
syscall('write', 'wrote-to-file', FILE, ['change'], 'file');
syscalls('unlink rmdir', 'deleted', FILE, ['deletion'], 'file');
syscall('unlinkat', 'deleted', FILE, ['deletion'], 'file', { dirfd: 0 });
syscall('rename', 'renamed', FILE, ['change'], 'rename');
syscalls('renameat renameat2', 'renamed', FILE, ['change'], 'rename', { dirfd: 0, dirfd2: 2 });
syscall('mkdir', 'created-directory', FILE, ['creation'], 'file');
syscall('mkdirat', 'created-directory', FILE, ['creation'], 'file', { dirfd: 0 });
syscall('link', 'linked', FILE, ['creation'], 'link');
syscall('linkat', 'linked', FILE, ['creation'], 'link', { dirfd: 0, dirfd2: 2 });
syscall('symlink', 'symlinked', FILE, ['creation'], 'symlink');
syscall('symlinkat', 'symlinked', FILE, ['creation'], 'symlink', { dirfd: 1 });
syscalls('chmod fchmod', 'changed-file-permissions-of', FILE, ['change'], 'chmod', { arg: 1 });
syscalls('fchmodat fchmodat2', 'changed-file-permissions-of', FILE, ['change'], 'chmod', { dirfd: 0, arg: 2 });
syscalls('chown fchown lchown chown32 fchown32 lchown32', 'changed-file-ownership-of', FILE, ['change'], 'chown', { arg: 1 });
syscall('fchownat', 'changed-file-ownership-of', FILE, ['change'], 'chown', { dirfd: 0, arg: 2 });
syscalls('setxattr lsetxattr fsetxattr removexattr lremovexattr fremovexattr setxattrat removexattrat', 'changed-file-attributes-of', FILE, ['change'], 'file');
syscalls('mknod', 'make-device', FILE, ['creation'], 'file');
syscall('mknodat', 'make-device', FILE, ['creation'], 'file', { dirfd: 0 });
syscalls('mount', 'mounted', FILE, ['creation'], 'file');
syscalls('umount umount2', 'unmounted', FILE, ['deletion'], 'file');
syscalls('utime utimes', 'changed-timestamp-of', FILE, ['change'], 'file');
syscalls('futimesat utimensat', 'changed-timestamp-of', FILE, ['change'], 'file', { dirfd: 0 });
syscalls('access stat stat64 lstat lstat64 fstat fstat64 getxattr lgetxattr fgetxattr statx', 'checked-metadata-of', FILE, ['info'], 'file');
syscalls('faccessat faccessat2 newfstatat fstatat64', 'checked-metadata-of', FILE, ['info'], 'file', { dirfd: 0 });
syscalls('statfs statfs64 fstatfs fstatfs64', 'checked-filesystem-metadata-of', FILE, ['info'], 'file');

// kernel modules: the module name arrives in a KERN_MODULE record
syscalls('init_module finit_module', 'loaded-kernel-module', DRIVER, ['start'], 'module');
syscall('delete_module', 'unloaded-kernel-module', DRIVER, ['end'], 'module');

// host
syscalls('settimeofday clock_settime stime adjtimex clock_adjtime', 'changed-system-time', HOST, ['change'], 'none');
syscalls('sethostname setdomainname', 'changed-system-name', HOST, ['change'], 'none');

export const syscallActions: Readonly<Record<string, ActionSpec>> = syscallTable;

/** Any syscall not in the table: still an event, of the process that made it. */
export const genericSyscall: ActionSpec = { action: 'called-syscall', category: frozen(PROCESS), type: frozen(['info']), object: 'file' };

// i386 multiplexes the socket API through socketcall(2); a0 is the call number (linux/net.h).
export const socketcallNames: readonly string[] = [
  '',
  'socket',
  'bind',
  'connect',
  'listen',
  'accept',
  'getsockname',
  'getpeername',
  'socketpair',
  'send',
  'recv',
  'sendto',
  'recvfrom',
  'shutdown',
  'setsockopt',
  'getsockopt',
  'sendmsg',
  'recvmsg',
  'accept4',
  'recvmmsg',
  'sendmmsg',
];

/** How a record-type event reads its subject and object. */
export type RecordShape =
  | 'user-session' // PAM and login programs: acct/id is the target, addr the remote end
  | 'login' // LOGIN: the kernel setting the loginuid
  | 'account' // ADD_USER, DEL_USER, ...: id/acct is the account changed
  | 'command' // USER_CMD: cmd, cwd
  | 'config' // CONFIG_CHANGE and friends
  | 'anomaly' // ANOM_*: the process is the object
  | 'avc' // AVC (SELinux / AppArmor)
  | 'daemon' // DAEMON_*: auditd itself
  | 'plain';

export interface RecordTypeSpec {
  action: string;
  category: readonly string[];
  type: readonly string[];
  shape: RecordShape;
}

const typeTable: Record<string, RecordTypeSpec> = Object.create(null);
function types(names: string, action: string, category: readonly string[], type: readonly string[], shape: RecordShape): void {
  const spec = { action, category: frozen(category), type: frozen(type), shape };
  for (const name of names.split(' ')) typeTable[name] = spec;
}

// authentication and sessions
types('USER_AUTH', 'authenticated', AUTH, ['info'], 'user-session');
types('USER_ACCT', 'was-authorized', AUTH, ['info'], 'user-session');
types('CRED_ACQ', 'acquired-credentials', AUTH, ['info'], 'user-session');
types('CRED_DISP', 'disposed-credentials', AUTH, ['info'], 'user-session');
types('CRED_REFR', 'refreshed-credentials', AUTH, ['info'], 'user-session');
types('USER_START', 'started-session', SESSION, ['start'], 'user-session');
types('USER_END', 'ended-session', SESSION, ['end'], 'user-session');
types('USER_LOGIN', 'logged-in', AUTH, ['start'], 'user-session');
types('USER_LOGOUT', 'logged-out', AUTH, ['end'], 'user-session');
types('USER_ERR', 'error', AUTH, ['info'], 'user-session');
types('USER_ROLE_CHANGE', 'changed-role-to', IAM, ['change'], 'user-session');
types('GRP_AUTH', 'authenticated-to-group', AUTH, ['info'], 'user-session');
types('LOGIN', 'changed-login-id-to', AUTH, ['start'], 'login');
types('USER_CHAUTHTOK', 'changed-password', IAM, ['user', 'change'], 'user-session');
types('GRP_CHAUTHTOK', 'changed-group-password', IAM, ['group', 'change'], 'user-session');
types('CRYPTO_KEY_USER', 'negotiated-crypto-key', PROCESS, ['info'], 'user-session');
types('CRYPTO_SESSION', 'started-crypto-session', PROCESS, ['info'], 'user-session');
types('CRYPTO_LOGIN', 'crypto-officer-logged-in', AUTH, ['start'], 'user-session');
types('CRYPTO_LOGOUT', 'crypto-officer-logged-out', AUTH, ['end'], 'user-session');
types('ANOM_LOGIN_FAILURES', 'failed-log-in-too-many-times-to', AUTH, ['info'], 'user-session');
types('ANOM_LOGIN_LOCATION', 'attempted-log-in-from-unusual-place-to', AUTH, ['info'], 'user-session');
types('ANOM_LOGIN_SESSIONS', 'opened-too-many-sessions-to', AUTH, ['info'], 'user-session');
types('ANOM_LOGIN_TIME', 'attempted-log-in-during-unusual-hour-to', AUTH, ['info'], 'user-session');

// accounts
types('ADD_USER', 'added-user-account', IAM, ['user', 'creation'], 'account');
types('DEL_USER', 'deleted-user-account', IAM, ['user', 'deletion'], 'account');
types('ADD_GROUP', 'added-group-account-to', IAM, ['group', 'creation'], 'account');
types('DEL_GROUP', 'deleted-group-account-from', IAM, ['group', 'deletion'], 'account');
types('USER_MGMT', 'modified-user-account', IAM, ['user', 'change'], 'account');
types('GRP_MGMT', 'modified-group-account', IAM, ['group', 'change'], 'account');
types('ACCT_LOCK', 'locked-account', IAM, ['user', 'info'], 'account');
types('ACCT_UNLOCK', 'unlocked-account', IAM, ['user', 'info'], 'account');
types('ROLE_ASSIGN', 'assigned-user-role-to', IAM, ['user', 'change'], 'account');
types('ROLE_REMOVE', 'removed-user-role-from', IAM, ['user', 'change'], 'account');
types('ROLE_MODIFY', 'modified-role', IAM, ['change'], 'account');

// user-space process events
types('USER_CMD', 'ran-command', PROCESS, ['start'], 'command');
types('CHGRP_ID', 'changed-group', PROCESS, ['change'], 'plain');
types('CHUSER_ID', 'changed-user-id', PROCESS, ['change'], 'plain');
types('USER_TTY TTY', 'typed', PROCESS, ['info'], 'plain');
types('USER', 'sent-message', PROCESS, ['info'], 'plain');
types('SERVICE_START', 'started-service', PROCESS, ['start'], 'plain');
types('SERVICE_STOP', 'stopped-service', PROCESS, ['end'], 'plain');
types('SYSTEM_BOOT', 'booted-system', HOST, ['start'], 'plain');
types('SYSTEM_SHUTDOWN', 'shutdown-system', HOST, ['end'], 'plain');
types('SYSTEM_RUNLEVEL', 'changed-to-runlevel', HOST, ['change'], 'plain');

// the audit system and other configuration
types('CONFIG_CHANGE', 'changed-audit-configuration', ['process', 'configuration'], ['change'], 'config');
types('FEATURE_CHANGE', 'changed-audit-feature', CONFIG, ['change'], 'config');
types('USYS_CONFIG', 'changed-configuration', CONFIG, ['change'], 'config');
types('NETFILTER_CFG', 'loaded-firewall-rule-to', CONFIG, ['change'], 'config');
types('MAC_POLICY_LOAD', 'loaded-selinux-policy', CONFIG, ['access'], 'config');
types('MAC_STATUS', 'changed-selinux-enforcement', CONFIG, ['change'], 'config');
types('MAC_CONFIG_CHANGE', 'changed-selinux-boolean', CONFIG, ['change'], 'config');
types('USER_MAC_POLICY_LOAD', 'loaded-mac-policy', CONFIG, ['access'], 'config');
types('USER_MAC_CONFIG_CHANGE', 'changed-mac-configuration', CONFIG, ['change'], 'config');
types('TIME_ADJNTPVAL TIME_INJOFFSET', 'changed-system-time', HOST, ['change'], 'plain');
types('KERN_MODULE', 'loaded-kernel-module', DRIVER, ['start'], 'plain');

// auditd itself (its records carry its own serial counter)
types('DAEMON_START', 'started-audit', PROCESS, ['start'], 'daemon');
types('DAEMON_END', 'shutdown-audit', PROCESS, ['end'], 'daemon');
types('DAEMON_ABORT', 'aborted-auditd-startup', PROCESS, ['end'], 'daemon');
types('DAEMON_CONFIG', 'changed-auditd-configuration', ['process', 'configuration'], ['change'], 'daemon');
types('DAEMON_RECONFIG', 'reconfigured-auditd', ['process', 'configuration'], ['info'], 'daemon');
types('DAEMON_ROTATE', 'rotated-audit-logs', PROCESS, ['change'], 'daemon');
types('DAEMON_RESUME', 'resumed-audit-logging', PROCESS, ['change'], 'daemon');
types('DAEMON_ERR', 'audit-error', PROCESS, ['info'], 'daemon');
types('DAEMON_ACCEPT', 'remote-audit-connected', NETWORK, ['connection', 'start'], 'daemon');
types('DAEMON_CLOSE', 'remote-audit-disconnected', NETWORK, ['connection', 'end'], 'daemon');

// anomalies and policy decisions
types('ANOM_ABEND', 'crashed-program', [...INTRUSION, 'process'], ['end', 'info'], 'anomaly');
types('ANOM_EXEC', 'attempted-execution-of-forbidden-program', [...INTRUSION, 'process'], ['start', 'denied'], 'anomaly');
types('ANOM_LINK', 'used-suspicious-link', [...INTRUSION, 'file'], ['info'], 'anomaly');
types('ANOM_PROMISCUOUS', 'changed-promiscuous-mode-on-device', [...INTRUSION, 'network'], ['change'], 'anomaly');
types('ANOM_CREAT', 'created-suspicious-file', [...INTRUSION, 'file'], ['creation'], 'anomaly');
types('SECCOMP', 'violated-seccomp-policy', [...INTRUSION, 'process'], ['denied'], 'anomaly');
types('AVC', 'violated-selinux-policy', [...INTRUSION], ['info'], 'avc');
types('USER_AVC', 'access-permission', [...INTRUSION], ['info'], 'avc');
types('SELINUX_ERR USER_SELINUX_ERR', 'caused-mac-policy-error', [...INTRUSION], ['error'], 'avc');
types(
  'APPARMOR_DENIED APPARMOR_ALLOWED APPARMOR_AUDIT APPARMOR_STATUS APPARMOR_ERROR APPARMOR_HINT',
  'violated-apparmor-policy',
  [...INTRUSION],
  ['info'],
  'avc',
);

export const recordTypeActions: Readonly<Record<string, RecordTypeSpec>> = typeTable;

/**
 * Records that only complete a syscall event (never the event's own meaning). Any other record
 * type in a syscall event names the event (LOGIN, CONFIG_CHANGE, ANOM_PROMISCUOUS, AVC...).
 */
export const auxiliaryTypes: ReadonlySet<string> = new Set([
  'SYSCALL',
  'EXECVE',
  'CWD',
  'PATH',
  'PROCTITLE',
  'SOCKADDR',
  'SOCKETCALL',
  'BPRM_FCAPS',
  'OBJ_PID',
  'FD_PAIR',
  'MMAP',
  'CAPSET',
  'IPC',
  'IPC_SET_PERM',
  'MQ_OPEN',
  'MQ_SENDRECV',
  'MQ_NOTIFY',
  'MQ_GETSETATTR',
  'EOE',
  'NETFILTER_PKT',
  'OPENAT2',
  'URINGOP',
  'UNKNOWN[1420]',
  'MAC_IPSEC_EVENT',
  'KERN_MODULE',
  'TIME_ADJNTPVAL',
  'TIME_INJOFFSET',
]);

/**
 * Auxiliary records whose fields say something no ECS field holds (the NTP adjustment, the
 * pipe's fds, mmap flags...): their fields go to audit.data. The others are either read into
 * ECS fields (EXECVE, PATH, SOCKADDR, OBJ_PID...) or noise on every event (BPRM_FCAPS).
 */
export const dataTypes: ReadonlySet<string> = new Set([
  'TIME_ADJNTPVAL',
  'TIME_INJOFFSET',
  'NETFILTER_PKT',
  'FD_PAIR',
  'MMAP',
  'CAPSET',
  'OPENAT2',
  'MQ_OPEN',
  'MQ_SENDRECV',
  'MQ_NOTIFY',
  'MQ_GETSETATTR',
  'IPC',
  'IPC_SET_PERM',
  'URINGOP',
]);
