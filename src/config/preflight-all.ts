// The whole config's preflight against every component type, kept apart from the check helpers
// in preflight.ts: components import those helpers, and this module imports the registries.
import type { BuildContext } from '../pipeline/types.js';
import type { Config } from './load.js';
import { inputDefs } from '../inputs/index.js';
import { filterDefs } from '../filters/index.js';
import { outputDefs } from '../outputs/index.js';
import { preflightWith } from './registries.js';

/** Everything `run` needs from outside, checked without starting: state_dir, then each component. */
export function preflightConfig(config: Config, ctx: BuildContext): void {
  preflightWith(config, ctx, { inputs: inputDefs, filters: filterDefs, outputs: outputDefs });
}
