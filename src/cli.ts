// `auditflow <command>`: the command table. Each command lives in src/commands/<name>.ts.
import type { Command, CommandIO } from './commands/types.js';
import { EX_USAGE } from './commands/types.js';

// Loaded on use: the daemon's modules (every input, output and the config schema) are resident
// memory a `normalize` run has no use for.
const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.js')).runCommand,
  normalize: async () => (await import('./commands/normalize.js')).normalizeCommand,
  'check-config': async () => (await import('./commands/check-config.js')).checkConfigCommand,
  rules: async () => (await import('./commands/rules.js')).rulesCmd,
  status: async () => (await import('./commands/status.js')).statusCmd,
};

async function help(io: CommandIO): Promise<void> {
  let text = 'usage: auditflow <command> [options]\n\ncommands:\n';
  for (const c of await Promise.all(Object.values(commands).map((load) => load()))) text += `  ${c.usage}\n      ${c.summary}\n`;
  io.stdout.write(text);
}

export async function main(argv: string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    await help(io);
    return name === undefined ? EX_USAGE : 0;
  }
  if (name === '--version' || name === '-V') {
    const { readFileSync } = await import('node:fs');
    const { packageRoot } = await import('./paths.js');
    io.stdout.write(JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')).version + '\n');
    return 0;
  }
  // "rules list" and friends: the table holds "rules", which reads its own subcommand
  const cmd = Object.hasOwn(commands, name) ? await commands[name]() : undefined;
  if (!cmd) {
    io.stderr.write(`auditflow: unknown command "${name}" (try: auditflow --help)\n`);
    return EX_USAGE;
  }
  return cmd.run(rest, io);
}
