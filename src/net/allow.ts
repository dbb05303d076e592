// Who may connect to a collector: an allow-list of addresses and CIDR blocks, and a cap on
// connections per address (auditd's tcp_max_per_addr), so one runaway sender cannot take every
// slot.
import net from 'node:net';
import { configError } from '../errors.js';

export class ClientGate {
  private readonly list: net.BlockList | null;
  private readonly perAddr = new Map<string, number>();
  rejectedNotAllowed = 0;
  rejectedOverCap = 0;

  constructor(
    allow: readonly string[] | undefined,
    private readonly maxPerAddr: number,
    where: string,
  ) {
    if (!allow || allow.length === 0) {
      this.list = null;
      return;
    }
    const list = new net.BlockList();
    allow.forEach((entry, i) => {
      const [addr, bits] = entry.split('/');
      const family = net.isIP(addr);
      if (family === 0) throw configError(`${where}.allow[${i}]`, `"${entry}" is not an IP address or CIDR block`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(addr, type);
      else {
        const prefix = Number(bits);
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32))
          throw configError(`${where}.allow[${i}]`, `"${entry}": bad prefix length`);
        list.addSubnet(addr, prefix, type);
      }
    });
    this.list = list;
  }

  /** Admits a connection from `addr` (counted until release()), or says why not. */
  admit(addr: string): 'ok' | 'not-allowed' | 'over-cap' {
    const a = unmapped(addr);
    if (this.list && !this.list.check(a, net.isIP(a) === 6 ? 'ipv6' : 'ipv4')) {
      this.rejectedNotAllowed++;
      return 'not-allowed';
    }
    const n = this.perAddr.get(a) ?? 0;
    if (n >= this.maxPerAddr) {
      this.rejectedOverCap++;
      return 'over-cap';
    }
    this.perAddr.set(a, n + 1);
    return 'ok';
  }

  release(addr: string): void {
    const a = unmapped(addr);
    const n = (this.perAddr.get(a) ?? 1) - 1;
    if (n <= 0) this.perAddr.delete(a);
    else this.perAddr.set(a, n);
  }
}

/** "::ffff:127.0.0.1" (an IPv4 client of a dual-stack socket) → "127.0.0.1" */
export const unmapped = (addr: string) => (addr.startsWith('::ffff:') && net.isIPv4(addr.slice(7)) ? addr.slice(7) : addr);
