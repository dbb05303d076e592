// Container, pod and systemd unit from /proc/PID/cgroup. Runtimes name the cgroups they create;
// these are the layouts they use (cgroup v1 lines `N:controllers:/path`, v2 `0::/path`):
//   docker      /docker/<id>                      v1 and v2 cgroupfs driver
//               /system.slice/docker-<id>.scope   systemd driver
//   containerd  /kubepods.../cri-containerd-<id>.scope, /system.slice/cri-containerd-<id>.scope
//   CRI-O       /kubepods.../crio-<id>.scope (systemd driver), .../pod<uid>/crio-<id> (cgroupfs)
//   podman      /machine.slice/libpod-<id>.scope, /libpod_parent/libpod-<id>, user@N.service/.../libpod-<id>.scope
//   kubepods    /kubepods/<qos>/pod<uid>/<id> (cgroupfs: the runtime is not in the name),
//               /kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_with_underscores>.slice/...
// The runtimes' own helpers (conmon, the docker/containerd shims) live beside the container, in
// `*-conmon-<id>` or the runtime's service: they are not in the container and get no id.
// Parsed once per distinct cgroup text (processes share a handful), so regexes are fine here.

export interface CgroupContext {
  containerId?: string;
  containerRuntime?: string;
  podUid?: string;
  /** the deepest systemd unit (`cron.service`, `session-3.scope`) */
  systemdUnit?: string;
}

const ID = '([0-9a-f]{64})';
const containerPatterns: [RegExp, string | undefined][] = [
  [new RegExp(`/docker-${ID}\\.scope(?:/|$)`), 'docker'],
  [new RegExp(`/docker/${ID}(?:/|$)`), 'docker'],
  [new RegExp(`/cri-containerd-${ID}\\.scope(?:/|$)`), 'containerd'],
  [new RegExp(`/crio-${ID}(?:\\.scope)?(?:/|$)`), 'cri-o'],
  [new RegExp(`/libpod-${ID}(?:\\.scope)?(?:/|$)`), 'podman'],
  // a bare id directly under a kubepods pod cgroup (cgroupfs driver): a container, runtime unnamed
  [new RegExp(`/pod[0-9a-f_-]{36}(?:\\.slice)?/${ID}(?:/|$)`), undefined],
];
const POD = /\/kubepods[^\n]*?[/-]pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?(?:\/|$)/;
const UNIT = /\/([^/\n]+\.(?:service|scope))(?=\/|$)/g;

/** The cgroup path of each line (`N:controllers:/path`), v2 and name=systemd first: they name units. */
function paths(text: string): string[] {
  const first: string[] = [];
  const rest: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (controllers === '' || controllers === 'name=systemd') first.push(path);
    else rest.push(path);
  }
  return first.concat(rest);
}

export function parseCgroup(text: string): CgroupContext {
  const out: CgroupContext = {};
  const all = paths(text);
  for (const path of all) {
    if (out.containerId === undefined) {
      for (const [re, runtime] of containerPatterns) {
        const m = re.exec(path);
        if (m === null || path.includes(`-conmon-${m[1]}`)) continue;
        out.containerId = m[1];
        if (runtime !== undefined) out.containerRuntime = runtime;
        break;
      }
    }
    if (out.podUid === undefined) {
      const m = POD.exec(path);
      if (m !== null) out.podUid = m[1].replaceAll('_', '-');
    }
    if (out.systemdUnit === undefined) {
      let unit: string | undefined;
      for (const m of path.matchAll(UNIT)) unit = m[1];
      // a container's scope names the container, not a unit anyone wrote
      if (unit !== undefined && !(out.containerId !== undefined && unit.includes(out.containerId))) out.systemdUnit = unit;
    }
  }
  return out;
}

/**
 * A cgroup's context as the table keeps it: the names, and the objects records carry for them,
 * made once per cgroup and shared (frozen) by every record of its processes, as leaders and
 * ancestries are, rather than a new container and systemd object per record.
 */
export interface CgroupEntry extends CgroupContext {
  container?: Readonly<{ id: string; runtime?: string }>;
  systemd?: Readonly<{ unit: string }>;
}

function entry(cg: CgroupContext): Readonly<CgroupEntry> {
  const out: CgroupEntry = cg;
  if (cg.containerId !== undefined)
    out.container = Object.freeze(cg.containerRuntime === undefined ? { id: cg.containerId } : { id: cg.containerId, runtime: cg.containerRuntime });
  if (cg.systemdUnit !== undefined) out.systemd = Object.freeze({ unit: cg.systemdUnit });
  return Object.freeze(out);
}

/**
 * Parsed cgroup texts, shared: the thousands of processes of a host sit in a few dozen cgroups,
 * so each gets the same frozen object. Bounded: when full it starts over (a rare re-parse).
 */
export class CgroupCache {
  private readonly map = new Map<string, Readonly<CgroupEntry>>();
  constructor(private readonly max = 4096) {}

  get(text: string): Readonly<CgroupEntry> {
    let hit = this.map.get(text);
    if (hit === undefined) {
      if (this.map.size >= this.max) this.map.clear();
      hit = entry(parseCgroup(text));
      this.map.set(text, hit);
    }
    return hit;
  }
}
