// Every mechanism the agent can drive. Adding a cloud is one folder under src/actions/ and one line here.
import { AWS_REGISTRY } from './aws/index.js';
import { AZURE_REGISTRY } from './azure/index.js';
import type { Registry } from './kit/registry.js';
import { LINUX_REGISTRY } from './linux/index.js';

export const REGISTRIES: readonly Registry[] = [LINUX_REGISTRY, AWS_REGISTRY, AZURE_REGISTRY];
