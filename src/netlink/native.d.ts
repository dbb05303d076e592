// Types of the raw addon (native/netlink/audit_netlink.cc). Only src/netlink/load.ts touches it.

/** /proc files read by the reader thread: `meta` is [pid, serial, stat at, stat length, cgroup at, cgroup length] each (cgroup length 0: not read). */
export interface RawProcSnapshots {
  data: Buffer;
  meta: Uint32Array;
}

/** Datagrams drained in one go: `data` holds them back to back, `meta` is [offset, length] pairs. */
export interface RawBatch {
  data: Buffer;
  meta: Uint32Array;
  /** /proc of the batch's exec events' processes, read as they came (snapshotExecs) */
  procs?: RawProcSnapshots;
}

export interface RawSocketStats {
  /** times the kernel reported dropped datagrams (ENOBUFS) on this socket */
  enobufs: number;
  datagrams: number;
  wakeups: number;
  batches: number;
  /** datagrams longer than the receive slot (never expected: the kernel caps records at 8970) */
  truncated: number;
  /** bytes of datagrams the reader thread holds for JS now, and at most so far */
  ring_bytes: number;
  ring_peak: number;
  /** times the reader found the ring full and left the socket to the kernel until JS caught up */
  ring_full: number;
  /** times the reader slept through part of its linger (the socket buffer holding what came) */
  naps: number;
  /** exec events whose process's /proc the reader read as they came, and those already gone */
  proc_snapshots: number;
  proc_snapshots_gone: number;
}

export interface RawAuditSocket {
  portId(): number;
  /** Sets SO_RCVBUFFORCE (SO_RCVBUF without CAP_NET_ADMIN); returns the size the kernel granted. */
  setReceiveBuffer(bytes: number): number;
  send(bytes: Uint8Array): number;
  /** send() on libuv's thread pool, for requests whose answer the kernel is slow to start */
  sendAsync(bytes: Uint8Array, callback: (err: (Error & { code?: string }) | null, sent?: number) => void): void;
  /**
   * Waits up to timeoutMs for datagrams; undefined when none came. What the reader thread took
   * before a stop() comes first. Not while start()ed.
   */
  receive(timeoutMs: number): RawBatch | undefined;
  /**
   * A reader thread drains the socket into the ring (at most ringBytes); the callback gets what
   * it took on the event loop, one call per batch of up to maxBatch datagrams, at most every
   * lingerMs (default 2; sooner once 256 datagrams wait) after the first of them arrived.
   */
  start(callback: (err: (Error & { code?: string }) | null, batch?: RawBatch) => void, lingerMs?: number): void;
  /** No calls until start() again; the reader goes on filling the ring up to its limit. */
  pause(): void;
  /** Ends the reader thread; what it took stays for receive() or the next start(). */
  stop(): void;
  close(): void;
  stats(): RawSocketStats;
  /**
   * From now on the reader reads /proc/PID/stat (mode 1) and cgroup (2) of each exec event's
   * process as the event comes, for the batch's `procs`; 0: none.
   */
  snapshotExecs(mode: 0 | 1 | 2): void;
}

export interface NativeModule {
  AuditSocket: new (groups: number, maxBatch: number, ringBytes?: number) => RawAuditSocket;
  AUDIT_NLGRP_READLOG: number;
}
