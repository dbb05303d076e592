// Types of the raw addon (native/netlink/audit_netlink.cc). Only src/netlink/load.ts touches it.

/** Datagrams drained in one go: `data` holds them back to back, `meta` is [offset, length] pairs. */
export interface RawBatch {
  data: Buffer;
  meta: Uint32Array;
}

export interface RawSocketStats {
  /** times the kernel reported dropped datagrams (ENOBUFS) on this socket */
  enobufs: number;
  datagrams: number;
  wakeups: number;
  batches: number;
  /** datagrams longer than the receive slot (never expected: the kernel caps records at 8970) */
  truncated: number;
}

export interface RawAuditSocket {
  portId(): number;
  /** Sets SO_RCVBUFFORCE (SO_RCVBUF without CAP_NET_ADMIN); returns the size the kernel granted. */
  setReceiveBuffer(bytes: number): number;
  send(bytes: Uint8Array): number;
  /** Waits up to timeoutMs for datagrams; undefined when none came. Not while start()ed. */
  receive(timeoutMs: number): RawBatch | undefined;
  /** Polls on the event loop; one call per wake-up with everything drained (up to maxBatch). */
  start(callback: (err: (Error & { code?: string }) | null, batch?: RawBatch) => void): void;
  stop(): void;
  close(): void;
  stats(): RawSocketStats;
}

export interface NativeModule {
  AuditSocket: new (groups: number, maxBatch: number) => RawAuditSocket;
  AUDIT_NLGRP_READLOG: number;
}
