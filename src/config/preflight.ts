// What `check-config` and `run` both do before anything starts: every file a component will read
// is read, every URL parsed, TLS material loaded, every path it will write checked to be one it
// can write. A problem is an AF_ERR_CONFIG naming the key, so `run` exits 78 with one line
// instead of failing later with a stack trace or spinning on a path it can never write.

import { accessSync, constants, readFileSync, statSync, type Stats } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { configError } from '../errors.js';

// Pseudo filesystems: writes there fail in ways that look transient (EINVAL, EACCES on some files,
// success on others), so a daemon retrying them spins; nothing of auditflow's belongs there.
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

const under = (path: string, root: string) => path === root || path.startsWith(root + '/');

/** A path auditflow will create or append to (state_dir, an output file): refused under /proc, /sys, /dev. */
export function checkWritablePath(key: string, path: string, kind: 'file' | 'dir'): void {
  const abs = resolve(path);
  const pseudo = PSEUDO_ROOTS.find((r) => under(abs, r));
  if (pseudo) throw configError(key, `${path} is under ${pseudo}, which holds no regular files`);
  // the nearest existing ancestor must be a directory we may write (the rest is created at start)
  let at = kind === 'dir' ? abs : dirname(abs);
  let st = statOrCode(at);
  while (st === 'ENOENT' && dirname(at) !== at) st = statOrCode((at = dirname(at)));
  if (typeof st === 'string') throw configError(key, `cannot use ${at}: ${st}`);
  if (!st.isDirectory()) throw configError(key, `${at} is not a directory`);
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw configError(key, `cannot write under ${at}: ${(err as NodeJS.ErrnoException).code}`);
  }
  if (kind === 'file') {
    const self = statOrCode(abs);
    if (typeof self === 'string' && self !== 'ENOENT') throw configError(key, `cannot use ${path}: ${self}`);
    if (typeof self !== 'string' && self.isDirectory()) throw configError(key, `${path} is a directory`);
  }
}

function statOrCode(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'EIO';
  }
}

/** Reads a file the component will need at start (a CA bundle, a certificate, a key). */
export function readConfiguredFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw configError(key, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export interface TlsFiles {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
}

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Loads the TLS material as the connection will (node's own parser), so a garbage certificate,
 * a key that does not match its certificate or an unreadable file is found now; returns it.
 */
export function checkTlsMaterial(key: string, tls: TlsFiles): TlsMaterial {
  const ca = tls.ca_file ? readConfiguredFile(`${key}.ca_file`, tls.ca_file) : undefined;
  const cert = tls.cert_file ? readConfiguredFile(`${key}.cert_file`, tls.cert_file) : undefined;
  const privateKey = tls.key_file ? readConfiguredFile(`${key}.key_file`, tls.key_file) : undefined;
  if ((cert === undefined) !== (privateKey === undefined)) {
    throw configError(key, 'cert_file and key_file go together');
  }
  if (ca) {
    // node's TLS context skips a CA block it cannot parse without a word; parse each one here
    const blocks = ca.toString('latin1').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    try {
      if (blocks.length === 0) throw new Error('no PEM certificate in it');
      for (const b of blocks) new X509Certificate(b);
    } catch (err) {
      throw configError(`${key}.ca_file`, `${tls.ca_file}: not a usable PEM certificate (${(err as Error).message})`);
    }
  }
  try {
    if (cert && privateKey) createSecureContext({ cert, key: privateKey });
  } catch (err) {
    throw configError(`${key}.cert_file`, `${tls.cert_file} with ${tls.key_file}: not a usable certificate and key (${(err as Error).message})`);
  }
  return { ca, cert, key: privateKey };
}

/** A URL the component will connect to. */
export function checkUrl(key: string, url: string, protocols: string[]): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw configError(key, `not a URL: ${JSON.stringify(url)}`);
  }
  if (!protocols.includes(u.protocol)) throw configError(key, `${u.protocol} URLs are not supported (use ${protocols.join(' or ')})`);
  if (!u.hostname) throw configError(key, 'the URL names no host');
  return u;
}
