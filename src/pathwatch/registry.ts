// Route spec kind → route set. A cloud SDK (tens of MB) is loaded only for a config with that cloud's routes.
import type { AwsRoutesContext } from './aws-routes.js';
import type { AzureRoutesContext } from './azure-routes.js';
import type { RouteSpec } from './config-schema.js';
import { LinuxPathRoutes } from './linux-routes.js';
import type { PathRoutes } from './routes.js';

export interface RoutesContext {
  readonly aws?: AwsRoutesContext;
  /** The logger at least; tests add the simulator's credential. */
  readonly azure: AzureRoutesContext;
}

export async function createPathRoutes(
  specs: readonly RouteSpec[],
  ctx: RoutesContext,
): Promise<PathRoutes[]> {
  const uses = (kind: RouteSpec['kind']): boolean => specs.some((s) => s.kind === kind);
  const aws = uses('aws-route-table') ? await import('./aws-routes.js') : null;
  const azure = uses('azure-route-table') ? await import('./azure-routes.js') : null;
  return specs.map((spec): PathRoutes => {
    if (spec.kind === 'aws-route-table') return new aws!.AwsPathRoutes(spec, ctx.aws ?? {});
    if (spec.kind === 'azure-route-table') return new azure!.AzurePathRoutes(spec, ctx.azure);
    return new LinuxPathRoutes(spec);
  });
}
