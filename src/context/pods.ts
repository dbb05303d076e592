// Pod name and namespace for a pod uid, from the kubelet's pod log directories
// (`<namespace>_<pod-name>_<pod-uid>` under /var/log/pods): no API server, no runtime socket.
// Namespaces and pod names are DNS labels/subdomains, so they hold no '_' and the split is exact.
import { readdirSync } from 'node:fs';

export interface PodName {
  namespace: string;
  name: string;
}

export function parsePodDir(entry: string): [uid: string, pod: PodName] | undefined {
  const a = entry.indexOf('_');
  const b = a < 0 ? -1 : entry.indexOf('_', a + 1);
  if (a <= 0 || b <= a + 1 || b === entry.length - 1 || entry.indexOf('_', b + 1) >= 0) return undefined;
  return [entry.slice(b + 1), { namespace: entry.slice(0, a), name: entry.slice(a + 1, b) }];
}

export class PodsDirectory {
  private byUid = new Map<string, PodName>();
  private scannedAt = Number.NEGATIVE_INFINITY;
  scans = 0;
  /** lookups of a pod uid with no directory (a pod that logs nowhere, or a pods_dir elsewhere) */
  unknown = 0;

  /**
   * @param rescanMs a miss rescans the directory at most this often (a new pod's directory
   * appears when it starts, before its processes do anything worth auditing)
   */
  constructor(
    readonly dir: string,
    private readonly rescanMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    this.scan();
  }

  private scan(): void {
    this.scannedAt = this.now();
    this.scans++;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return; // no kubelet here: every lookup misses
    }
    const next = new Map<string, PodName>();
    for (const n of names) {
      const p = parsePodDir(n);
      if (p !== undefined) next.set(p[0], p[1]);
    }
    this.byUid = next;
  }

  lookup(uid: string): PodName | undefined {
    let hit = this.byUid.get(uid);
    if (hit === undefined && this.now() - this.scannedAt >= this.rescanMs) {
      this.scan();
      hit = this.byUid.get(uid);
    }
    if (hit === undefined) this.unknown++;
    return hit;
  }
}
