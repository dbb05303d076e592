// Rules as `auditctl -l` (auditd 3.0.9) prints them, byte for byte, quirks included: a rule
// that only has path/perm/key fields and all syscalls is shown as a watch (-w), in field order.

import { errnoNames } from '../tables/errno.js';
import { recordTypeNames } from '../tables/record-types.js';
import {
  AUDIT_BITMASK_SIZE,
  AUDIT_FILTER_EXCLUDE,
  AUDIT_FILTER_FS,
  AUDIT_FILTER_MASK,
  AUDIT_FILTER_TASK,
  AUDIT_FILTER_USER,
  AUDIT_FILTER_URING_EXIT,
  AUDIT_KEY_SEPARATOR,
  AUDIT_PERM_ATTR,
  AUDIT_PERM_EXEC,
  AUDIT_PERM_READ,
  AUDIT_PERM_WRITE,
  F,
  actionNames,
  compareText,
  fieldNames,
  fsTypeByName,
  listNames,
  machines,
  operatorSymbols,
} from './constants.js';
import type { AuditRule } from './rule.js';
import { hostMachine, syscallName } from './syscalls.js';

const fsTypeNames: Record<number, string> = {};
for (const [n, v] of Object.entries(fsTypeByName)) fsTypeNames[v] = n;

function allSyscalls(mask: Uint32Array): boolean {
  for (let i = 0; i < AUDIT_BITMASK_SIZE - 1; i++) if (mask[i] !== 0xffffffff) return false;
  return true;
}

function noSyscallList(list: number): boolean {
  return (
    list === AUDIT_FILTER_USER || list === AUDIT_FILTER_TASK || list === AUDIT_FILTER_EXCLUDE || list === AUDIT_FILTER_FS || list === AUDIT_FILTER_URING_EXIT
  );
}

export function isWatch(rule: AuditRule): boolean {
  let perm = false;
  for (const f of rule.fields) {
    if (f.field === F.PERM) perm = true;
    if (f.field !== F.PERM && f.field !== F.FILTERKEY && f.field !== F.DIR && f.field !== F.WATCH) return false;
  }
  const list = rule.flags & AUDIT_FILTER_MASK;
  const all = list === AUDIT_FILTER_USER || list === AUDIT_FILTER_TASK || list === AUDIT_FILTER_EXCLUDE || allSyscalls(rule.mask);
  return perm && all;
}

function permText(v: number): string {
  return (v & AUDIT_PERM_READ ? 'r' : '') + (v & AUDIT_PERM_WRITE ? 'w' : '') + (v & AUDIT_PERM_EXEC ? 'x' : '') + (v & AUDIT_PERM_ATTR ? 'a' : '');
}

const op = (bits: number) => operatorSymbols[bits] ?? '';

export function printRule(rule: AuditRule, machine = hostMachine()): string {
  const watch = isWatch(rule);
  const list = rule.flags & AUDIT_FILTER_MASK;
  let out = '';
  let elf = 0;
  if (!watch) {
    out += `-a ${actionNames[rule.action] ?? rule.action},${listNames[list] ?? list}`;
    for (const f of rule.fields) {
      if (f.field !== F.ARCH) continue;
      elf = f.value;
      out += ` -F arch${op(f.op)}${f.value & 0x80000000 ? 'b64' : 'b32'}`;
    }
    if (!noSyscallList(list)) {
      if (allSyscalls(rule.mask)) out += ' -S all';
      else {
        const sysElf = elf || machines[machine]?.elf || 0;
        let first = true;
        for (let i = 0; i < AUDIT_BITMASK_SIZE * 32; i++) {
          if (!(rule.mask[i >>> 5] & (1 << (i & 31)))) continue;
          out += (first ? ' -S ' : ',') + (syscallName(sysElf, i) ?? String(i));
          first = false;
        }
      }
    }
  }
  for (const f of rule.fields) {
    if (f.field === F.ARCH) continue;
    const name = fieldNames[f.field];
    const sym = op(f.op);
    if (!name) {
      out += ` f${f.field}${sym}${f.value | 0}`;
      continue;
    }
    switch (f.field) {
      case F.MSGTYPE:
        out += ` -F ${name}${sym}${recordTypeNames[f.value] ?? f.value | 0}`;
        break;
      case F.WATCH:
        out += watch ? `-w ${f.str}` : ` -F path=${f.str}`;
        break;
      case F.DIR:
        out += watch ? `-w ${f.str}` : ` -F dir=${f.str}`;
        break;
      case F.FILTERKEY:
        for (const k of (f.str ?? '').split(AUDIT_KEY_SEPARATOR)) if (k) out += watch ? ` -k ${k}` : ` -F key=${k}`;
        break;
      case F.PERM:
        out += watch ? ` -p ${permText(f.value)}` : ` -F perm=${permText(f.value)}`;
        break;
      case F.INODE:
        out += ` -F ${name}${sym}${f.value >>> 0}`;
        break;
      case F.FIELD_COMPARE: {
        const pair = compareText[f.value];
        if (pair) out += ` -C ${pair[0]}${sym}${pair[1]}`;
        break;
      }
      case F.ARG0:
      case F.ARG1:
      case F.ARG2:
      case F.ARG3:
        out += ` -F ${name}${sym}0x${(f.value >>> 0).toString(16).toUpperCase()}`;
        break;
      case F.EXIT: {
        const v = f.value | 0;
        const e = v < 0 ? errnoNames[-v] : undefined;
        out += ` -F ${name}${sym}${e ? '-' + e : v}`;
        break;
      }
      case F.FSTYPE:
        out += ` -F ${name}${sym}${fsTypeNames[f.value >>> 0] ?? f.value | 0}`;
        break;
      default:
        if (f.str !== undefined) out += ` -F ${name}${sym}${f.str}`;
        else out += ` -F ${name}${sym}${f.value | 0}`;
    }
  }
  return out;
}

/** The whole `auditctl -l` output for the kernel's rules, in list order. */
export function printRules(rules: AuditRule[], machine = hostMachine()): string {
  if (rules.length === 0) return 'No rules\n';
  return rules.map((r) => printRule(r, machine) + '\n').join('');
}
