// The one place input types are registered: `type:` in config → factory + schema.
import type { ComponentDef, Input } from '../pipeline/types.js';

export const inputDefs: ComponentDef<Input>[] = [
];
