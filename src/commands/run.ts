import { AuditflowError } from '../errors.js';
import { createLogger, silentLogger } from '../log.js';
import { defaultConfigPath } from '../config/validate.js';
import { loadConfigNeeded, preflightWith } from '../config/registries.js';
import { Daemon } from '../daemon.js';
import type { MetricsServer } from '../metrics/index.js';
import { EX_CONFIG, EX_SOFTWARE, EX_TEMPFAIL, EX_USAGE, type Command } from './types.js';

export const runCommand: Command = {
  name: 'run',
  usage: 'run [--config FILE]',
  summary: 'the daemon: inputs → filters → outputs until SIGTERM; SIGHUP reloads config and rules, SIGUSR1 reopens files',
  async run(args, io) {
    let path = defaultConfigPath();
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--config' && i + 1 < args.length) path = args[++i];
      else if (args[i].startsWith('--config=')) path = args[i].slice(9);
      else {
        io.stderr.write(`usage: auditflow ${runCommand.usage}\n`);
        return EX_USAGE;
      }
    }
    let config;
    try {
      const loaded = await loadConfigNeeded(path);
      config = loaded.config;
      preflightWith(config, { stateDir: config.state_dir, hostName: config.host.name ?? '', log: silentLogger }, loaded.registries);
    } catch (err) {
      if (!(err instanceof AuditflowError)) throw err;
      io.stderr.write(`auditflow: ${err.message}\n`);
      return EX_CONFIG;
    }
    const log = createLogger(config.log_level, (l) => io.stderr.write(l));
    for (const w of config.warnings) log.warn(`${path}: ${w}`);
    const daemon = new Daemon(config, log);
    let metrics: MetricsServer | null = null;
    try {
      await daemon.start();
      // loaded only when configured: the Prometheus client is start-up time and memory
      if (config.metrics) metrics = await (await import('../metrics/index.js')).startMetrics(config.metrics, () => daemon.stats(), log);
    } catch (err) {
      if (err instanceof AuditflowError) {
        log.error(err.message, { code: err.code });
        await daemon.stop().catch(() => {});
        return err.code === 'AF_ERR_ALREADY_RUNNING' ? EX_TEMPFAIL : err.code === 'AF_ERR_CONFIG' ? EX_CONFIG : EX_SOFTWARE;
      }
      await daemon.stop().catch(() => {});
      throw err;
    }

    return new Promise<number>((resolve) => {
      let stopping = false;
      let busy: Promise<void> = Promise.resolve();
      const stop = (sig: string) => {
        if (stopping) return;
        stopping = true;
        log.info(`${sig}: stopping`);
        busy
          .then(() => daemon.stop())
          .then(() => metrics?.close())
          .then(
            () => {
              cleanup();
              resolve(0);
            },
            (err) => {
              log.error(`stop failed: ${(err as Error).message}`);
              cleanup();
              resolve(EX_SOFTWARE);
            },
          );
      };
      const onTerm = () => stop('SIGTERM');
      const onInt = () => stop('SIGINT');
      const onHup = () => {
        busy = busy.then(async () => {
          try {
            const { config: next, registries } = await loadConfigNeeded(path);
            preflightWith(next, { stateDir: next.state_dir, hostName: next.host.name ?? '', log }, registries);
            for (const w of next.warnings) log.warn(`${path}: ${w}`);
            await daemon.reload(next);
          } catch (err) {
            log.error(`SIGHUP: keeping the running config: ${(err as Error).message}`);
          }
        });
      };
      const onUsr1 = () => {
        busy = busy.then(() => daemon.reopenOutputs()).catch((err) => log.error(`reopen failed: ${(err as Error).message}`));
      };
      const cleanup = () => {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        process.off('SIGHUP', onHup);
        process.off('SIGUSR1', onUsr1);
      };
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
      process.on('SIGHUP', onHup);
      process.on('SIGUSR1', onUsr1);
    });
  },
};
