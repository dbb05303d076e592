// `type: bash` — tails bash history files (globs like /home/*/.bash_history) and reports each
// command typed. The user is the file's owner (named from /etc/passwd), else the home directory
// the file sits in. Deduplication state is kept per path, so a rewrite of the file (`history -w`,
// a HISTFILESIZE trim: bash writes a new file and renames it over the old one) does not report
// the commands again.

import { fstatSync } from 'node:fs';
import type { ComponentDef, Input, BuildContext } from '../../pipeline/types.js';
import type { UserRef } from '../../record.js';
import { userName } from '../../users.js';
import { createTailInput, holdingLineReader, tailSchemaProperties, type LineReader, type TailInputConfig } from '../tail/input.js';
import { createBashHistoryParser, RecentCommands, SeenSet } from './parse.js';

export interface BashInputConfig extends TailInputConfig {
  type: 'bash';
  keep_original?: boolean;
}

export const bashSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'path'],
  properties: {
    type: { const: 'bash' },
    ...tailSchemaProperties,
    keep_original: { type: 'boolean', default: false, description: 'keep the command as event.original' },
  },
} as const;

/** The user a history file belongs to: its owner, else /home/<name>/ or /root/ in its path. */
export function historyOwner(path: string, uid: number | undefined): UserRef {
  const u: UserRef = {};
  if (uid !== undefined) {
    u.id = String(uid);
    const name = userName(u.id);
    if (name) u.name = name;
  }
  if (!u.name) {
    const m = /^\/home\/([^/]+)\//.exec(path);
    if (m) u.name = m[1];
    else if (path.startsWith('/root/')) u.name = 'root';
  }
  return u;
}

export function createBashInput(cfg: BashInputConfig, ctx: BuildContext): Input {
  const byPath = new Map<string, { seen: SeenSet; recent: RecentCommands }>();
  return createTailInput(cfg, ctx, (file): LineReader => {
    // a second reader for a path: the file was replaced or truncated and rewritten
    const rewrite = byPath.has(file.path);
    let state = byPath.get(file.path);
    if (!state) byPath.set(file.path, (state = { seen: new SeenSet(), recent: new RecentCommands() }));
    const { seen, recent } = state;
    let uid: number | undefined;
    try {
      uid = fstatSync(file.fd).uid;
    } catch {
      /* closed: no owner */
    }
    const mtime = () => {
      try {
        return Math.floor(fstatSync(file.fd).mtimeMs);
      } catch {
        return Date.now();
      }
    };
    // bash appends a whole entry in one write
    return holdingLineReader(
      createBashHistoryParser({
        user: historyOwner(file.path, uid),
        file: file.path,
        seen,
        recent,
        rewrite,
        fallbackTime: mtime,
        keepOriginal: cfg.keep_original,
      }),
    );
  });
}

export const bashInput: ComponentDef<Input> = {
  type: 'bash',
  schema: bashSchema,
  build: (cfg: BashInputConfig, ctx) => createBashInput(cfg, ctx),
};
