// The top-level `enrich:` block: what context records get. Defaults live in the schema (the
// loader fills them), so a config without `enrich:` enriches everything a live input can know.
import type { LabelRuleConfig } from './labels.js';

export interface EnrichConfig {
  /** process identity and ancestry: entity ids, parent, leaders, ancestry */
  process: boolean;
  /** container, pod and systemd unit from /proc/PID/cgroup */
  container: boolean;
  kubernetes: { pods_dir: string };
  /** sha256 of executables */
  hash: boolean;
  /** files larger than this are not hashed */
  hash_max_file_bytes: number;
  labels: LabelRuleConfig[];
  max_processes: number;
  max_ancestry: number;
  /**
   * the netlink input reads each exec's process in /proc as its event comes, not a batch later:
   * short-lived processes keep their start, session, group and cgroup, for more CPU in exec storms
   */
  read_at_exec: boolean;
}

const labelRule = {
  type: 'object',
  additionalProperties: false,
  required: ['label'],
  properties: {
    label: { type: 'string', minLength: 1 },
    exe: { type: 'string', minLength: 1, description: 'glob on process.executable' },
    exe_regex: { type: 'string', minLength: 1 },
    args: { type: 'string', minLength: 1, description: 'glob on process.command_line' },
    args_regex: { type: 'string', minLength: 1 },
    propagate: { type: 'boolean', default: true, description: 'descendants get the label too' },
  },
  anyOf: [{ required: ['exe'] }, { required: ['exe_regex'] }, { required: ['args'] }, { required: ['args_regex'] }],
};

export const enrichSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'context added to every record from the process table (live inputs; `normalize` uses the events alone)',
  properties: {
    process: { type: 'boolean', default: true },
    container: { type: 'boolean', default: true },
    kubernetes: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { pods_dir: { type: 'string', minLength: 1, default: '/var/log/pods' } },
    },
    hash: { type: 'boolean', default: true },
    hash_max_file_bytes: { type: 'integer', minimum: 1, default: 256 * 1024 * 1024 },
    labels: { type: 'array', items: labelRule, default: [] },
    max_processes: { type: 'integer', minimum: 64, default: 32768 },
    max_ancestry: { type: 'integer', minimum: 0, maximum: 64, default: 8 },
    read_at_exec: {
      type: 'boolean',
      default: false,
      description:
        "the netlink input reads each exec's process in /proc as its event comes (short-lived processes keep their start, session and cgroup; more CPU in exec storms)",
    },
  },
};

export const defaultEnrichConfig = (): EnrichConfig => ({
  process: true,
  container: true,
  kubernetes: { pods_dir: '/var/log/pods' },
  hash: true,
  hash_max_file_bytes: 256 * 1024 * 1024,
  labels: [],
  max_processes: 32768,
  max_ancestry: 8,
  read_at_exec: false,
});
