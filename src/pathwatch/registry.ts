// Route spec kind → route set. The AWS SDK (tens of MB) is loaded only for a config with AWS routes.
import type { AwsRoutesContext } from './aws-routes.js';
import type { RouteSpec } from './config-schema.js';
import { LinuxPathRoutes } from './linux-routes.js';
import type { PathRoutes } from './routes.js';

export interface RoutesContext {
  readonly aws?: AwsRoutesContext;
}

export async function createPathRoutes(
  specs: readonly RouteSpec[],
  ctx: RoutesContext = {},
): Promise<PathRoutes[]> {
  const aws = specs.some((s) => s.kind === 'aws-route-table') ? await import('./aws-routes.js') : null;
  return specs.map((spec) =>
    spec.kind === 'aws-route-table' ? new aws!.AwsPathRoutes(spec, ctx.aws ?? {}) : new LinuxPathRoutes(spec),
  );
}
