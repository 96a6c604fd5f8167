// Every cloud and scenario the lab knows. A new one is one module and one line here.
import { awsCloud } from './clouds/aws.js';
import { azureCloud } from './clouds/azure.js';
import { physicalCloud } from './clouds/physical.js';
import { apiThrottle } from './scenarios/api-throttle.js';
import { kill } from './scenarios/kill.js';
import { linkdown } from './scenarios/linkdown.js';
import { splitBrain } from './scenarios/split-brain.js';
import { switchover } from './scenarios/switchover.js';
import { wanLoss } from './scenarios/wan-loss.js';
import type { LabCloud, LabScenario } from './types.js';

export const CLOUDS: Readonly<Record<string, LabCloud>> = {
  aws: awsCloud,
  azure: azureCloud,
  physical: physicalCloud,
};

export const SCENARIOS: Readonly<Record<string, LabScenario>> = {
  kill,
  linkdown,
  'wan-loss': wanLoss,
  'split-brain': splitBrain,
  'api-throttle': apiThrottle,
  switchover,
};
