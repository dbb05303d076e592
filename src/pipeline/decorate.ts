// Host decorations added to every record before the filters: host.name, host.id (machine-id),
// and the static fields from config `host.fields`. A dotted key ("service.name") lands at that
// path; a plain key ("env") lands under ECS `labels`, where Elasticsearch maps it as a keyword.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { NormalizedRecord } from '../record.js';

export interface HostConfig {
  name?: string;
  id?: string;
  fields?: Record<string, string | number | boolean>;
}

export function machineId(): string | undefined {
  for (const p of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(p, 'utf8').trim();
      if (id) return id;
    } catch {
      /* try the next */
    }
  }
  return undefined;
}

export function createDecorator(cfg: HostConfig = {}): (rec: NormalizedRecord) => void {
  const name = cfg.name ?? hostname();
  const id = cfg.id ?? machineId();
  const paths: [string[], unknown][] = [];
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg.fields ?? {})) {
    if (k.includes('.')) paths.push([k.split('.'), v]);
    else labels[k] = String(v);
  }
  const hasLabels = Object.keys(labels).length > 0;
  return (rec) => {
    const host = (rec.host ??= {});
    // a record that names its own host (a remote sender's node) happened elsewhere: this host's
    // machine-id would mislabel it
    if (host.name === undefined) {
      host.name = name;
      if (id !== undefined) host.id ??= id;
    }
    if (hasLabels) rec.labels = rec.labels ? { ...labels, ...rec.labels } : { ...labels };
    for (let i = 0; i < paths.length; i++) {
      const [path, value] = paths[i];
      let o = rec as Record<string, unknown>;
      for (let j = 0; j < path.length - 1; j++) {
        const next = o[path[j]];
        o = (typeof next === 'object' && next !== null ? next : (o[path[j]] = {})) as Record<string, unknown>;
      }
      o[path[path.length - 1]] ??= value;
    }
  };
}
