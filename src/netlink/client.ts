// Request/ACK exchanges with the kernel's audit subsystem over a socket of our own (control
// socket). Synchronous on purpose: every exchange is a few microseconds of kernel work, and
// callers (CLI commands, daemon start/stop, the status poll) want an answer before going on.

import { AuditflowError } from '../errors.js';
import { errnoNames } from '../audit/tables/errno.js';
import { loadNative } from './load.js';
import type { RawAuditSocket } from './native.js';
import {
  AUDIT_ADD_RULE,
  AUDIT_DEL_RULE,
  AUDIT_GET,
  AUDIT_GET_FEATURE,
  AUDIT_LIST_RULES,
  AUDIT_SET,
  AUDIT_SET_FEATURE,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK,
  NLM_F_REQUEST,
  encodeRequest,
  splitBatch,
  type NetlinkMessage,
} from './protocol.js';
import { decodeFeatures, decodeStatus, encodeFeature, encodeStatusChange, type AuditFeatures, type AuditStatus, type StatusChange } from './status.js';

export const requestNames: Record<number, string> = {
  [AUDIT_GET]: 'AUDIT_GET',
  [AUDIT_SET]: 'AUDIT_SET',
  [AUDIT_ADD_RULE]: 'AUDIT_ADD_RULE',
  [AUDIT_DEL_RULE]: 'AUDIT_DEL_RULE',
  [AUDIT_LIST_RULES]: 'AUDIT_LIST_RULES',
  [AUDIT_GET_FEATURE]: 'AUDIT_GET_FEATURE',
  [AUDIT_SET_FEATURE]: 'AUDIT_SET_FEATURE',
};

/** The kernel refused a request; `errno` is the symbolic name (EEXIST, EPERM...). */
export class NetlinkError extends AuditflowError {
  readonly errno: string;
  constructor(request: string, errno: string, detail?: string) {
    super('AF_ERR_NETLINK', `${request} failed: ${errno}${detail ? ` (${detail})` : ''}`);
    this.errno = errno;
  }
}

export function errnoName(n: number): string {
  return errnoNames[n] ?? `errno ${n}`;
}

export interface RequestOptions {
  /** a reply of this type must arrive (AUDIT_GET answers with AUDIT_GET) */
  reply?: number;
  /** collect messages until NLMSG_DONE (rule listing) */
  dump?: boolean;
  timeoutMs?: number;
}

export class AuditClient {
  readonly socket: RawAuditSocket;
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly timeoutMs: number;

  constructor(opts: { socket?: RawAuditSocket; timeoutMs?: number } = {}) {
    this.socket = opts.socket ?? new (loadNative().AuditSocket)(0, 256);
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  /**
   * Sends one request with NLM_F_ACK and waits for its ACK, plus its reply or dump when asked.
   * Kernel replies may come before or after the ACK (the kernel sends some from a kthread), so
   * both are awaited in any order; messages of other sequences are ignored.
   */
  request(type: number, payload: Uint8Array | undefined, opts: RequestOptions = {}): NetlinkMessage[] {
    const name = requestNames[type] ?? `request ${type}`;
    const seq = (this.seq = (this.seq + 1) >>> 0);
    try {
      this.socket.send(encodeRequest(type, NLM_F_REQUEST | NLM_F_ACK, seq, payload));
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'EIO';
      throw new NetlinkError(name, code, (err as Error).message);
    }
    const out: NetlinkMessage[] = [];
    let acked = false,
      replied = opts.reply === undefined,
      done = !opts.dump;
    const deadline = Date.now() + (opts.timeoutMs ?? this.timeoutMs);
    while (!(acked && replied && done)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new NetlinkError(name, 'ETIMEDOUT', `no ${!acked ? 'ACK' : 'reply'} from the kernel`);
      const batch = this.socket.receive(left);
      if (!batch) continue;
      for (const m of splitBatch(batch)) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_ERROR) {
          const code = m.payload.length >= 4 ? m.payload.readInt32LE(0) : 0;
          if (code !== 0) throw new NetlinkError(name, errnoName(-code));
          acked = true;
        } else if (m.type === NLMSG_DONE) {
          done = true;
        } else {
          if (m.type === opts.reply) replied = true;
          // payload views point into the batch buffer, which is not reused: keeping them is safe
          out.push(m);
        }
      }
    }
    return out;
  }

  /**
   * AUDIT_GET without blocking the event loop. The kernel answers every request from a thread
   * it starts for the reply (send() returns once it is started), which takes tens of
   * milliseconds on a busy host: request() would hold the daemon's only JS thread that long
   * while records queue. Here the request is sent from libuv's thread pool and the socket is
   * looked at every `everyMs`; undefined when no answer came in time (or a synchronous request
   * meanwhile took it).
   */
  async getStatusAsync(everyMs = 2): Promise<AuditStatus | undefined> {
    const seq = (this.seq = (this.seq + 1) >>> 0);
    const request = encodeRequest(AUDIT_GET, NLM_F_REQUEST | NLM_F_ACK, seq, undefined);
    await new Promise<void>((resolve, reject) =>
      this.socket.sendAsync(request, (err) => (err ? reject(new NetlinkError('AUDIT_GET', err.code ?? 'EIO', err.message)) : resolve())),
    );
    let status: AuditStatus | undefined;
    let acked = false;
    const deadline = Date.now() + this.timeoutMs;
    while (!(acked && status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, everyMs));
      for (let batch = this.socket.receive(0); batch; batch = this.socket.receive(0)) {
        for (const m of splitBatch(batch)) {
          if (m.seq !== seq) continue;
          if (m.type === NLMSG_ERROR) {
            const code = m.payload.length >= 4 ? m.payload.readInt32LE(0) : 0;
            if (code !== 0) throw new NetlinkError('AUDIT_GET', errnoName(-code));
            acked = true;
          } else if (m.type === AUDIT_GET) {
            status = decodeStatus(m.payload);
          }
        }
      }
    }
    return status;
  }

  getStatus(): AuditStatus {
    const replies = this.request(AUDIT_GET, undefined, { reply: AUDIT_GET });
    return decodeStatus(replies.find((m) => m.type === AUDIT_GET)!.payload);
  }

  setStatus(change: StatusChange): void {
    this.request(AUDIT_SET, encodeStatusChange(change));
  }

  /** Features (loginuid_immutable); undefined on kernels without the features API (EINVAL). */
  getFeatures(): AuditFeatures | undefined {
    try {
      const replies = this.request(AUDIT_GET_FEATURE, undefined, { reply: AUDIT_GET_FEATURE });
      return decodeFeatures(replies.find((m) => m.type === AUDIT_GET_FEATURE)!.payload);
    } catch (err) {
      if (err instanceof NetlinkError && err.errno === 'EINVAL') return undefined;
      throw err;
    }
  }

  setFeature(bit: number, enable: boolean, lock: boolean): void {
    this.request(AUDIT_SET_FEATURE, encodeFeature(bit, enable, lock));
  }

  addRule(ruleBytes: Uint8Array): void {
    this.request(AUDIT_ADD_RULE, ruleBytes);
  }

  deleteRule(ruleBytes: Uint8Array): void {
    this.request(AUDIT_DEL_RULE, ruleBytes);
  }

  /** The kernel's rules, each as struct audit_rule_data bytes, in list order. */
  listRules(): Buffer[] {
    return this.request(AUDIT_LIST_RULES, undefined, { dump: true })
      .filter((m) => m.type === AUDIT_LIST_RULES)
      .map((m) => Buffer.from(m.payload));
  }

  close(): void {
    this.socket.close();
  }
}
