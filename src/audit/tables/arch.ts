// AUDIT_ARCH_* values (linux/audit.h: ELF machine | __AUDIT_ARCH_64BIT 0x80000000 |
// __AUDIT_ARCH_LE 0x40000000) as the kernel writes them in `arch=`, lower-case hex.
// `table` names the ausyscall table in syscalls.ts (both endiannesses share numbers).

export interface ArchInfo {
  /** ausearch's name for the arch */
  name: string;
  /** key into syscallTables, when we have the numbers */
  table: string | undefined;
  /** sockaddr families are stored in host byte order, so the decoder must know */
  littleEndian: boolean;
  bits: 32 | 64;
}

const arch = (name: string, table: string | undefined, littleEndian: boolean, bits: 32 | 64): ArchInfo => ({ name, table, littleEndian, bits });

export const archByHex: Readonly<Record<string, ArchInfo>> = {
  c000003e: arch('x86_64', 'x86_64', true, 64),
  '40000003': arch('i386', 'i386', true, 32),
  c00000b7: arch('aarch64', 'aarch64', true, 64),
  '40000028': arch('arm', 'arm', true, 32),
  '00000028': arch('armeb', 'arm', false, 32),
  '80000015': arch('ppc64', 'ppc64', false, 64),
  c0000015: arch('ppc64le', 'ppc64', true, 64),
  '00000014': arch('ppc', 'ppc64', false, 32),
  '80000016': arch('s390x', 's390x', false, 64),
  '00000016': arch('s390', 's390x', false, 32),
  c00000f3: arch('riscv64', undefined, true, 64),
  '400000f3': arch('riscv32', undefined, true, 32),
  c0000102: arch('loongarch64', undefined, true, 64),
};

/** The arch of an `arch=` value; case and missing leading zeros tolerated. */
export function archOf(hex: string | undefined): ArchInfo | undefined {
  if (hex === undefined) return undefined;
  const hit = archByHex[hex];
  if (hit !== undefined) return hit;
  const norm = hex.toLowerCase().padStart(8, '0');
  return archByHex[norm];
}
