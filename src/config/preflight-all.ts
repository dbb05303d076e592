// The whole config's preflight, kept apart from the check helpers in preflight.ts: components
// import those helpers, and this module imports the component registries.
import type { BuildContext, ComponentDef } from '../pipeline/types.js';
import type { Config } from './load.js';
import { inputDefs } from '../inputs/index.js';
import { filterDefs } from '../filters/index.js';
import { outputDefs } from '../outputs/index.js';
import { parseListen } from '../metrics/config.js';
import { checkWritablePath } from './preflight.js';

/** Everything `run` needs from outside, checked without starting: state_dir, then each component. */
export function preflightConfig(config: Config, ctx: BuildContext): void {
  checkWritablePath('state_dir', config.state_dir, 'dir');
  if (config.pid_file) checkWritablePath('pid_file', config.pid_file, 'file');
  if (config.metrics?.listen) parseListen(config.metrics.listen);
  const lists = [
    ['inputs', config.inputs, inputDefs],
    ['filters', config.filters, filterDefs],
    ['outputs', config.outputs, outputDefs],
  ] as const;
  for (const [key, items, defs] of lists) {
    items.forEach((item, i) => {
      const def = (defs as readonly ComponentDef<unknown>[]).find((d) => d.type === item.type);
      def?.preflight?.(item, `${key}[${i}]`, ctx);
    });
  }
}
