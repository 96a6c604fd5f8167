// Everything a listener needs, built once by startSim and shared by the HTTP and in-process APIs.
import type { Logger } from 'pino';
import type { AwsState } from './aws/model.js';
import type { AwsThrottle } from './aws/throttle.js';
import type { AzureState } from './azure/model.js';
import type { ArmThrottle } from './azure/throttle.js';
import type { Clock } from './clock.js';
import type { Faults } from './faults.js';
import type { Iam } from './iam.js';
import type { Random } from './random.js';
import type { Recorder } from './recorder.js';

export interface SimContext {
  clock: Clock;
  random: Random;
  iam: Iam;
  faults: Faults;
  recorder: Recorder;
  aws: AwsState;
  azure: AzureState;
  aws_throttle: AwsThrottle | undefined;
  arm_throttle: ArmThrottle | undefined;
  log: Logger;
  /** Bearer token for the /_sim control API; never held by a node identity. */
  admin_token: string;
  /** Base URL of the Azure listener, for absolute operation URLs. */
  azure_url: string;
}
