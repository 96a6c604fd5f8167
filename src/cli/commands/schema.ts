// `tandem schema`: the JSON Schema of a node's config for editors (YAML language servers), built from the
// same TypeBox schemas the checker uses, with each monitor and action kind's own schema in its list.
import type { Command } from 'commander';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description("print the JSON Schema of the agent's config (for editors: yaml-language-server)")
    .action(async () => {
      console.log(JSON.stringify(await agentConfigJsonSchema(), null, 2));
    });
}

export async function agentConfigJsonSchema(): Promise<Record<string, unknown>> {
  const { AgentConfigSchema } = await import('../../agent/config-schema.js');
  const { MONITOR_SCHEMAS } = await import('../../agent/plugins.js');
  const { REGISTRIES } = await import('../../actions/registries.js');
  const properties = AgentConfigSchema.properties as Record<string, Record<string, unknown>>;
  const list = (schemas: readonly unknown[], maxItems: number) => ({
    type: 'array',
    maxItems,
    items: { anyOf: schemas },
  });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'tandem agent config',
    ...AgentConfigSchema,
    properties: {
      ...properties,
      monitors: list(Object.values(MONITOR_SCHEMAS), 64),
      actions: list(
        REGISTRIES.flatMap((r) => Object.values(r.schemas)),
        64,
      ),
    },
  };
}
