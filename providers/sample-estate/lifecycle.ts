/**
 * What `lifeboat dev` (npm start) needs to bring the sample estate up and down next to the dev server: the one place
 * outside `estate/` that starts and stops it, so the rest of the product never depends on the sample.
 */
export { estatePids, startEstate, stopEstate } from '../../estate/estate';
export { serviceAddresses } from '../../estate/addresses';
export { sampleEstateAwsEnv } from '../../estate/flight-status-service';
export { isAlive, stopPid } from '../../estate/processes';
export { estateDir } from '../../estate/state-dir';
