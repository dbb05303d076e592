// The one place filter types are registered: `type:` in config → factory + schema.
import type { ComponentDef, Filter } from '../pipeline/types.js';

export const filterDefs: ComponentDef<Filter>[] = [
];
