// SOCKADDR's `saddr=` is the raw struct sockaddr the process passed (hex), addrlen bytes of it.
// sa_family is in the host's byte order (so the arch matters), ports and IPv4/IPv6 addresses are
// in network order. Trailing bytes past a unix path's NUL are the caller's stack garbage.

import { AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, socketFamilyNames } from '../tables/socket-families.js';
import { bytesToText } from '../../bytes-text.js';

export interface SockAddr {
  family: string;
  ip?: string;
  port?: number;
  /** unix socket path; abstract names as "@name" */
  path?: string;
  /** ECS network.type: ipv4 / ipv6 */
  networkType?: 'ipv4' | 'ipv6';
  /** netlink: the peer port id (0 = the kernel) and multicast groups */
  netlinkPid?: number;
  netlinkGroups?: number;
}

export function decodeSockaddr(hex: string, littleEndian: boolean): SockAddr | undefined {
  if (hex.length < 4 || (hex.length & 1) !== 0) return undefined;
  const b = Buffer.from(hex, 'hex');
  if (b.length * 2 !== hex.length) return undefined; // not hex after all
  const fam = littleEndian ? b[0] | (b[1] << 8) : (b[0] << 8) | b[1];
  const family = socketFamilyNames[fam] ?? `af-${fam}`;
  switch (fam) {
    case AF_INET: {
      if (b.length < 8) return { family };
      return { family, ip: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port: (b[2] << 8) | b[3], networkType: 'ipv4' };
    }
    case AF_INET6: {
      if (b.length < 24) return { family };
      const port = (b[2] << 8) | b[3];
      // v4-mapped (::ffff:a.b.c.d): an IPv6 socket talking IPv4 on the wire; report the IPv4
      // peer so filters and searches for 10.0.0.2 find it.
      if (isV4Mapped(b, 8)) return { family, ip: `${b[20]}.${b[21]}.${b[22]}.${b[23]}`, port, networkType: 'ipv4' };
      return { family, ip: formatIPv6(b, 8), port, networkType: 'ipv6' };
    }
    case AF_UNIX: {
      if (b.length <= 2) return { family }; // unnamed (autobind / socketpair)
      if (b[2] === 0) {
        // Abstract namespace: the name is every byte after the NUL, NULs included; shown as
        // ss(8) and ausearch do, with a leading '@'.
        if (b.length === 3) return { family };
        let name = bytesToText(b.subarray(3));
        if (name.includes('\0')) name = name.replaceAll('\0', '@');
        return { family, path: '@' + name };
      }
      let end = b.indexOf(0, 2);
      if (end < 0) end = b.length;
      return { family, path: bytesToText(b.subarray(2, end)) };
    }
    case AF_NETLINK: {
      if (b.length < 12) return { family };
      const pid = littleEndian ? b.readUInt32LE(4) : b.readUInt32BE(4);
      const groups = littleEndian ? b.readUInt32LE(8) : b.readUInt32BE(8);
      return { family, netlinkPid: pid, netlinkGroups: groups };
    }
    default:
      return { family };
  }
}

function isV4Mapped(b: Buffer, o: number): boolean {
  for (let i = 0; i < 10; i++) if (b[o + i] !== 0) return false;
  return b[o + 10] === 0xff && b[o + 11] === 0xff;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥2) of zero groups as "::". */
export function formatIPv6(b: Uint8Array, o: number): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (b[o + 2 * i] << 8) | b[o + 2 * i + 1];
  let bestStart = -1,
    bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += g[i].toString(16);
  }
  return out;
}

/**
 * The ENRICHED form of a SOCKADDR (`SADDR={ saddr_fam=inet laddr=10.0.0.1 lport=22 }`; older
 * auditd writes `fam=`), which the origin host's auditd decoded knowing its own byte order.
 */
export function parseEnrichedSockaddr(text: string): SockAddr | undefined {
  if (text.charCodeAt(0) !== 0x7b /* { */) return undefined;
  const f: Record<string, string> = {};
  for (const word of text.slice(1, text.endsWith('}') ? -1 : undefined).split(' ')) {
    const eq = word.indexOf('=');
    if (eq > 0) f[word.slice(0, eq)] = word.slice(eq + 1);
  }
  const family = f.saddr_fam ?? f.fam;
  if (family === undefined) return undefined;
  const port = f.lport !== undefined ? Number(f.lport) : undefined;
  const portOk = port !== undefined && Number.isInteger(port) && port >= 0 && port <= 65535;
  switch (family) {
    case 'inet':
    case 'inet6': {
      if (f.laddr === undefined) return { family };
      const v4 = f.laddr.includes('.');
      const ip = v4 && f.laddr.startsWith('::ffff:') ? f.laddr.slice(7) : f.laddr;
      return { family, ip, ...(portOk ? { port } : {}), networkType: v4 ? 'ipv4' : 'ipv6' };
    }
    case 'local':
      return f.path !== undefined ? { family, path: f.path } : { family };
    case 'netlink': {
      const pid = Number(f['nlnk-pid']);
      return Number.isInteger(pid) ? { family, netlinkPid: pid } : { family };
    }
    default:
      return { family };
  }
}
