/** The evidence pack: what an examiner is handed for a period, from the sealed archive alone. */
export { buildEvidencePack, type EvidencePackOptions } from './build';
export { catalogRecords, DEFINITION_FILE, DefinitionRecord } from './definition-record';
export { renderPackHtml } from './html';
export type * from './types';
