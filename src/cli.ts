// `auditflow <command>`: the command table. Each command lives in src/commands/<name>.ts.
import type { Command, CommandIO } from './commands/types.js';
import { EX_USAGE } from './commands/types.js';
import { normalizeCommand } from './commands/normalize.js';
import { checkConfigCommand } from './commands/check-config.js';
import { runCommand } from './commands/run.js';
import { rulesCmd } from './commands/rules.js';
import { statusCmd } from './commands/status.js';

const commands: Command[] = [
  runCommand,
  normalizeCommand,
  checkConfigCommand,
  rulesCmd,
  statusCmd,
];

function help(io: CommandIO): void {
  let text = 'usage: auditflow <command> [options]\n\ncommands:\n';
  for (const c of commands) text += `  ${c.usage}\n      ${c.summary}\n`;
  io.stdout.write(text);
}

export async function main(argv: string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    help(io);
    return name === undefined ? EX_USAGE : 0;
  }
  if (name === '--version' || name === '-V') {
    const { readFileSync } = await import('node:fs');
    const { packageRoot } = await import('./paths.js');
    io.stdout.write(JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')).version + '\n');
    return 0;
  }
  // "rules list" and friends: the table holds "rules", which reads its own subcommand
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.stderr.write(`auditflow: unknown command "${name}" (try: auditflow --help)\n`);
    return EX_USAGE;
  }
  return cmd.run(rest, io);
}
