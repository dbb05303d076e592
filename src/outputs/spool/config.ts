// Config of an output's queue: `queue:` inside any output's config. Validated once at load.

export type WhenFull = 'block' | 'drop_oldest';

export interface QueueConfig {
  enabled?: boolean;
  /**
   * records that may wait in memory before the spool (write() resolves when they are queued; a
   * crash loses them). 0, the default: every record is on disk before write() resolves.
   */
  memory_records?: number;
  /** cap of the disk spool in state_dir/spool/<output> */
  disk_bytes?: number;
  when_full?: WhenFull;
  /** fsync the spool after every append (records survive a power cut, not just a crash) */
  fsync?: boolean;
  /** records handed to the output per write */
  batch_records?: number;
}

export const queueSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    memory_records: { type: 'integer', minimum: 0 },
    disk_bytes: { type: 'integer', minimum: 65536 },
    when_full: { enum: ['block', 'drop_oldest'] },
    fsync: { type: 'boolean' },
    batch_records: { type: 'integer', minimum: 1, maximum: 100000 },
  },
} as const;

export interface ResolvedQueueConfig {
  memoryRecords: number;
  diskBytes: number;
  whenFull: WhenFull;
  fsync: boolean;
  batchRecords: number;
  /** a new segment file is started past this size, so consumed data can be deleted early */
  segmentBytes: number;
}

export function resolveQueueConfig(c: QueueConfig = {}): ResolvedQueueConfig {
  const diskBytes = c.disk_bytes ?? 256 * 1024 * 1024;
  return {
    memoryRecords: c.memory_records ?? 0,
    diskBytes,
    whenFull: c.when_full ?? 'block',
    fsync: c.fsync ?? true,
    batchRecords: c.batch_records ?? 1000,
    segmentBytes: Math.max(16384, Math.min(16 * 1024 * 1024, Math.floor(diskBytes / 8))),
  };
}
