// The config validated against every component type there is (check-config, status, normalize,
// the tests). The daemon validates against only the types its config names:
// src/config/registries.ts.
import { inputDefs } from '../inputs/index.js';
import { filterDefs } from '../filters/index.js';
import { outputDefs } from '../outputs/index.js';
import { checkConfigWith, readConfigDoc, type Config } from './validate.js';

export { defaultConfigPath, parseConfigText, type ComponentConfig, type Config } from './validate.js';

const all = { inputs: inputDefs, filters: filterDefs, outputs: outputDefs };

/**
 * Validates a parsed document, fills every default (top level and each component's own) and
 * renames old key spellings; throws one AF_ERR_CONFIG listing every problem, each naming its key.
 */
export function checkConfig(doc: unknown, source: string): Config {
  return checkConfigWith(doc, source, all);
}

export function loadConfig(path: string | URL): Config {
  const { doc, source } = readConfigDoc(path);
  return checkConfig(doc, source);
}
