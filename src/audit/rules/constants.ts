// The numbers of struct audit_rule_data (linux/audit.h) and the names auditctl gives them
// (libaudit's fieldtab/flagtab/ftypetab/fstypetab/machinetab, auditd 3.0.9).

export const AUDIT_MAX_FIELDS = 64;
export const AUDIT_MAX_KEY_LEN = 256;
export const AUDIT_BITMASK_SIZE = 64;
export const PATH_MAX = 4096;
export const AUDIT_KEY_SEPARATOR = '\x01';

// filter lists (rule.flags & AUDIT_FILTER_MASK)
export const AUDIT_FILTER_USER = 0x00;
export const AUDIT_FILTER_TASK = 0x01;
export const AUDIT_FILTER_ENTRY = 0x02;
export const AUDIT_FILTER_EXIT = 0x04;
export const AUDIT_FILTER_EXCLUDE = 0x05;
export const AUDIT_FILTER_FS = 0x06;
export const AUDIT_FILTER_URING_EXIT = 0x07;
export const AUDIT_FILTER_MASK = 0x07;
export const AUDIT_FILTER_PREPEND = 0x10;

export const listByName: Record<string, number> = {
  task: AUDIT_FILTER_TASK,
  exit: AUDIT_FILTER_EXIT,
  user: AUDIT_FILTER_USER,
  exclude: AUDIT_FILTER_EXCLUDE,
  filesystem: AUDIT_FILTER_FS,
};
export const listNames: Record<number, string> = {
  [AUDIT_FILTER_TASK]: 'task',
  [AUDIT_FILTER_ENTRY]: 'entry',
  [AUDIT_FILTER_EXIT]: 'exit',
  [AUDIT_FILTER_USER]: 'user',
  [AUDIT_FILTER_EXCLUDE]: 'exclude',
  [AUDIT_FILTER_FS]: 'filesystem',
  [AUDIT_FILTER_URING_EXIT]: 'io_uring',
};

export const AUDIT_NEVER = 0;
export const AUDIT_POSSIBLE = 1;
export const AUDIT_ALWAYS = 2;
export const actionNames: Record<number, string> = { [AUDIT_NEVER]: 'never', [AUDIT_POSSIBLE]: 'possible', [AUDIT_ALWAYS]: 'always' };

// operators (fieldflags)
export const AUDIT_BIT_MASK = 0x08000000;
export const AUDIT_LESS_THAN = 0x10000000;
export const AUDIT_GREATER_THAN = 0x20000000;
export const AUDIT_NOT_EQUAL = 0x30000000;
export const AUDIT_EQUAL = 0x40000000;
export const AUDIT_BIT_TEST = AUDIT_BIT_MASK | AUDIT_EQUAL;
export const AUDIT_LESS_THAN_OR_EQUAL = AUDIT_LESS_THAN | AUDIT_EQUAL;
export const AUDIT_GREATER_THAN_OR_EQUAL = AUDIT_GREATER_THAN | AUDIT_EQUAL;
export const AUDIT_OPERATORS = AUDIT_EQUAL | AUDIT_NOT_EQUAL | AUDIT_BIT_MASK;

/** Operators in the order auditctl looks for them: two-character ones first. */
export const operatorsBySearchOrder: readonly [string, number][] = [
  ['!=', AUDIT_NOT_EQUAL],
  ['>=', AUDIT_GREATER_THAN_OR_EQUAL],
  ['<=', AUDIT_LESS_THAN_OR_EQUAL],
  ['&=', AUDIT_BIT_TEST],
  ['=', AUDIT_EQUAL],
  ['>', AUDIT_GREATER_THAN],
  ['<', AUDIT_LESS_THAN],
  ['&', AUDIT_BIT_MASK],
];
export const operatorSymbols: Record<number, string> = {
  [AUDIT_EQUAL]: '=',
  [AUDIT_NOT_EQUAL]: '!=',
  [AUDIT_GREATER_THAN]: '>',
  [AUDIT_GREATER_THAN_OR_EQUAL]: '>=',
  [AUDIT_LESS_THAN]: '<',
  [AUDIT_LESS_THAN_OR_EQUAL]: '<=',
  [AUDIT_BIT_MASK]: '&',
  [AUDIT_BIT_TEST]: '&=',
};

// fields
export const F = {
  PID: 0,
  UID: 1,
  EUID: 2,
  SUID: 3,
  FSUID: 4,
  GID: 5,
  EGID: 6,
  SGID: 7,
  FSGID: 8,
  LOGINUID: 9,
  PERS: 10,
  ARCH: 11,
  MSGTYPE: 12,
  SUBJ_USER: 13,
  SUBJ_ROLE: 14,
  SUBJ_TYPE: 15,
  SUBJ_SEN: 16,
  SUBJ_CLR: 17,
  PPID: 18,
  OBJ_USER: 19,
  OBJ_ROLE: 20,
  OBJ_TYPE: 21,
  OBJ_LEV_LOW: 22,
  OBJ_LEV_HIGH: 23,
  LOGINUID_SET: 24,
  SESSIONID: 25,
  FSTYPE: 26,
  DEVMAJOR: 100,
  DEVMINOR: 101,
  INODE: 102,
  EXIT: 103,
  SUCCESS: 104,
  WATCH: 105,
  PERM: 106,
  DIR: 107,
  FILETYPE: 108,
  OBJ_UID: 109,
  OBJ_GID: 110,
  FIELD_COMPARE: 111,
  EXE: 112,
  SADDR_FAM: 113,
  ARG0: 200,
  ARG1: 201,
  ARG2: 202,
  ARG3: 203,
  FILTERKEY: 210,
} as const;

/** auditctl's field names; the first name of a number is the one it prints. */
export const fieldByName: Record<string, number> = {
  pid: F.PID,
  uid: F.UID,
  euid: F.EUID,
  suid: F.SUID,
  fsuid: F.FSUID,
  gid: F.GID,
  egid: F.EGID,
  sgid: F.SGID,
  fsgid: F.FSGID,
  auid: F.LOGINUID,
  loginuid: F.LOGINUID,
  pers: F.PERS,
  arch: F.ARCH,
  msgtype: F.MSGTYPE,
  subj_user: F.SUBJ_USER,
  subj_role: F.SUBJ_ROLE,
  subj_type: F.SUBJ_TYPE,
  subj_sen: F.SUBJ_SEN,
  subj_clr: F.SUBJ_CLR,
  ppid: F.PPID,
  obj_user: F.OBJ_USER,
  obj_role: F.OBJ_ROLE,
  obj_type: F.OBJ_TYPE,
  obj_lev_low: F.OBJ_LEV_LOW,
  obj_lev_high: F.OBJ_LEV_HIGH,
  loginuid_set: F.LOGINUID_SET,
  sessionid: F.SESSIONID,
  fstype: F.FSTYPE,
  devmajor: F.DEVMAJOR,
  devminor: F.DEVMINOR,
  inode: F.INODE,
  exit: F.EXIT,
  success: F.SUCCESS,
  path: F.WATCH,
  perm: F.PERM,
  dir: F.DIR,
  filetype: F.FILETYPE,
  obj_uid: F.OBJ_UID,
  obj_gid: F.OBJ_GID,
  field_compare: F.FIELD_COMPARE,
  exe: F.EXE,
  saddr_fam: F.SADDR_FAM,
  a0: F.ARG0,
  a1: F.ARG1,
  a2: F.ARG2,
  a3: F.ARG3,
  key: F.FILTERKEY,
};
export const fieldNames: Record<number, string> = {};
for (const [name, num] of Object.entries(fieldByName)) if (!(num in fieldNames)) fieldNames[num] = name;

/** Fields whose value travels in buf as a string (values[i] holds its length). */
export function isStringField(field: number): boolean {
  return (
    (field >= F.SUBJ_USER && field <= F.OBJ_LEV_HIGH && field !== F.PPID) || field === F.WATCH || field === F.DIR || field === F.FILTERKEY || field === F.EXE
  );
}

export const AUDIT_PERM_EXEC = 1;
export const AUDIT_PERM_WRITE = 2;
export const AUDIT_PERM_READ = 4;
export const AUDIT_PERM_ATTR = 8;

export const fileTypeByName: Record<string, number> = {
  block: 0o060000,
  character: 0o020000,
  dir: 0o040000,
  fifo: 0o010000,
  file: 0o100000,
  link: 0o120000,
  socket: 0o140000,
};
/** libaudit's fstypetab: the superblock magic numbers auditctl knows by name. */
export const fsTypeByName: Record<string, number> = { debugfs: 0x64626720, tracefs: 0x74726163 };

// architectures: AUDIT_ARCH_* = EM_* | 64BIT | LE
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
export const AUDIT_ARCH_ARM = 0x40000028;
export const AUDIT_ARCH_PPC64 = 0x80000015;
export const AUDIT_ARCH_PPC64LE = 0xc0000015;
export const AUDIT_ARCH_PPC = 0x14;
export const AUDIT_ARCH_S390X = 0x80000016;
export const AUDIT_ARCH_S390 = 0x16;

/** machine name → its arch value and the ausyscall table that numbers its syscalls */
export const machines: Record<string, { elf: number; table: string }> = {
  i386: { elf: AUDIT_ARCH_I386, table: 'i386' },
  i486: { elf: AUDIT_ARCH_I386, table: 'i386' },
  i586: { elf: AUDIT_ARCH_I386, table: 'i386' },
  i686: { elf: AUDIT_ARCH_I386, table: 'i386' },
  x86_64: { elf: AUDIT_ARCH_X86_64, table: 'x86_64' },
  aarch64: { elf: AUDIT_ARCH_AARCH64, table: 'aarch64' },
  armeb: { elf: AUDIT_ARCH_ARM, table: 'arm' },
  ppc64: { elf: AUDIT_ARCH_PPC64, table: 'ppc64' },
  ppc64le: { elf: AUDIT_ARCH_PPC64LE, table: 'ppc64' },
  ppc: { elf: AUDIT_ARCH_PPC, table: 'ppc64' },
  s390x: { elf: AUDIT_ARCH_S390X, table: 's390x' },
  s390: { elf: AUDIT_ARCH_S390, table: 's390' },
};
/** arch value → the name auditctl -l prints */
export const machineNameByElf: Record<number, string> = {
  [AUDIT_ARCH_I386]: 'i386',
  [AUDIT_ARCH_X86_64]: 'x86_64',
  [AUDIT_ARCH_AARCH64]: 'aarch64',
  [AUDIT_ARCH_ARM]: 'armeb',
  [AUDIT_ARCH_PPC64]: 'ppc64',
  [AUDIT_ARCH_PPC64LE]: 'ppc64le',
  [AUDIT_ARCH_PPC]: 'ppc',
  [AUDIT_ARCH_S390X]: 's390x',
  [AUDIT_ARCH_S390]: 's390',
};
/** b32 on a 64-bit machine means its compat arch */
export const compat32: Record<string, string> = { x86_64: 'i386', ppc64: 'ppc', ppc64le: 'ppc', s390x: 's390', aarch64: 'armeb' };

// -C field comparisons: (left, right) → AUDIT_COMPARE_*, and the number → the text -l prints
const compareList: [string, string, number][] = [
  ['uid', 'obj_uid', 1],
  ['gid', 'obj_gid', 2],
  ['euid', 'obj_uid', 3],
  ['egid', 'obj_gid', 4],
  ['auid', 'obj_uid', 5],
  ['suid', 'obj_uid', 6],
  ['sgid', 'obj_gid', 7],
  ['fsuid', 'obj_uid', 8],
  ['fsgid', 'obj_gid', 9],
  ['uid', 'auid', 10],
  ['uid', 'euid', 11],
  ['uid', 'fsuid', 12],
  ['uid', 'suid', 13],
  ['auid', 'fsuid', 14],
  ['auid', 'suid', 15],
  ['auid', 'euid', 16],
  ['euid', 'suid', 17],
  ['euid', 'fsuid', 18],
  ['suid', 'fsuid', 19],
  ['gid', 'egid', 20],
  ['gid', 'fsgid', 21],
  ['gid', 'sgid', 22],
  ['egid', 'fsgid', 23],
  ['egid', 'sgid', 24],
  ['sgid', 'fsgid', 25],
];
export const compareByPair = new Map<string, number>();
export const compareText: Record<number, [string, string]> = {};
for (const [a, b, n] of compareList) {
  compareByPair.set(`${a},${b}`, n);
  compareByPair.set(`${b},${a}`, n);
  compareText[n] = [a, b];
}
