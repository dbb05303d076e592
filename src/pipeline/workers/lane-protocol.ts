// Messages between `normalize`'s main thread and its normalize lanes. Events travel as their
// records' text (type, node, time, serial, body), packed flat into one array per batch: one
// structured clone per batch, and the lane rebuilds each record with the same scanner.

import { auditRecordOf, type AuditRecord } from '../../audit/record.js';
import type { NormalizeSetup } from './normalize-setup.js';

export const ITEM_EVENT = 0;
export const ITEM_ERROR = 1;

export type Packed = (string | number | null)[];

export type ToLane =
  | { kind: 'init'; setup: NormalizeSetup; logLevel: string }
  | { kind: 'batch'; seq: number; items: Packed }
  | { kind: 'end' };

export type FromLane =
  | { kind: 'out'; seq: number; bytes: Uint8Array; records: number }
  /** After `end`: what the filters held back (throttle summaries), then the lane exits. */
  | { kind: 'ended'; bytes: Uint8Array; records: number }
  | { kind: 'log'; line: string };

export function packEvent(into: Packed, records: readonly AuditRecord[]): void {
  into.push(ITEM_EVENT, records.length);
  for (const r of records) into.push(r.type, r.node ?? null, r.time, r.serial, r.body);
}

export function packError(into: Packed, code: string, message: string, where: string | undefined): void {
  into.push(ITEM_ERROR, code, message, where ?? null);
}

/** Walks a packed batch in order. */
export function unpack(items: Packed, onEvent: (records: AuditRecord[]) => void, onError: (code: string, message: string, where: string | undefined) => void): void {
  let i = 0;
  while (i < items.length) {
    if (items[i++] === ITEM_EVENT) {
      const n = items[i++] as number;
      const records = new Array<AuditRecord>(n);
      for (let k = 0; k < n; k++, i += 5) {
        records[k] = auditRecordOf(items[i] as string, (items[i + 1] as string | null) ?? undefined, items[i + 2] as number, items[i + 3] as number, items[i + 4] as string);
      }
      onEvent(records);
    } else {
      onError(items[i] as string, items[i + 1] as string, (items[i + 2] as string | null) ?? undefined);
      i += 3;
    }
  }
}
