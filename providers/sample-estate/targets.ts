import type { EstateCatalog } from '../../estate/catalog';
import { sampleTargetsFile } from '../../estate/targets';
import { parseTargets } from '../targets/load';
import type { Targets } from '../targets/schema';

/**
 * The sample estate's targets, checked: the estate writes its targets file as plain data (it imports nothing of
 * Lifeboat's), and this is where Lifeboat reads that description through its own schema, as it reads any estate's.
 */
export function sampleTargets(catalog: EstateCatalog): Targets {
  return parseTargets(sampleTargetsFile(catalog), 'the sample estate targets');
}
