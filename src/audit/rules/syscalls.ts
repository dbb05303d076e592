// Syscall name ↔ number per architecture, from the ausyscall tables in src/audit/tables.

import os from 'node:os';
import { syscallTables } from '../tables/syscalls.js';
import { machines, machineNameByElf } from './constants.js';

const byName = new Map<string, Map<string, number>>();

function nameIndex(table: string): Map<string, number> | undefined {
  let m = byName.get(table);
  if (m) return m;
  const list = syscallTables[table];
  if (!list) return undefined;
  m = new Map();
  for (let i = 0; i < list.length; i++) {
    const n = list[i];
    if (n !== undefined && !m.has(n)) m.set(n, i);
  }
  byName.set(table, m);
  return m;
}

/** The machine auditctl would detect here (uname -m). */
export function hostMachine(): string {
  return os.machine();
}

export function tableForElf(elf: number): string | undefined {
  const name = machineNameByElf[elf];
  return name ? machines[name].table : undefined;
}

export function syscallNumber(elf: number, name: string): number | undefined {
  const table = tableForElf(elf);
  return table ? nameIndex(table)?.get(name) : undefined;
}

export function syscallName(elf: number, nr: number): string | undefined {
  const table = tableForElf(elf);
  return table ? syscallTables[table]?.[nr] : undefined;
}
