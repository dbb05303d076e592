// Per-output bounded memory queue + size-capped disk spool (block or drop_oldest when full).
export { QueuedOutput, withQueue, applyQueue } from './queue.js';
export { queueSchema, resolveQueueConfig, type QueueConfig } from './config.js';
export { DiskSpool } from './segments.js';
