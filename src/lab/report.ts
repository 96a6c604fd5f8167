// What a lab node tells the controller: the same report `tandem agent` sends.
export { reportOf } from '../agent/reporting.js';
