import { AuditflowError } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { buildFilterChain } from '../filters/index.js';
import { checkEnrich } from '../context/index.js';
import { preflightConfig } from '../config/preflight-all.js';
import { silentLogger } from '../log.js';
import { EX_CONFIG, EX_USAGE, type Command } from './types.js';

export const checkConfigCommand: Command = {
  name: 'check-config',
  usage: 'check-config FILE',
  summary: 'validate a config file; errors name the key and the problem',
  async run(args, io) {
    if (args.length !== 1 || args[0].startsWith('-')) {
      io.stderr.write('usage: auditflow check-config FILE\n');
      return EX_USAGE;
    }
    try {
      const cfg = loadConfig(args[0]);
      // filter_chain strings and match expressions are compiled too: an unknown filter name in
      // "exclude_uid:1;exlude_comm:x" is only found there
      const ctx = { stateDir: cfg.state_dir, hostName: '', log: silentLogger };
      buildFilterChain(cfg.filters, ctx);
      checkEnrich(cfg.enrich);
      // and everything run needs from outside: files, paths, URLs, TLS material
      preflightConfig(cfg, ctx);
      for (const w of cfg.warnings) io.stderr.write(`auditflow: ${args[0]}: ${w}\n`);
      io.stdout.write(`${args[0]}: ok (${cfg.inputs.length} inputs, ${cfg.filters.length} filters, ${cfg.outputs.length} outputs)\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof AuditflowError)) throw err;
      io.stderr.write(`auditflow: ${err.message}\n`);
      return EX_CONFIG;
    }
  },
};
