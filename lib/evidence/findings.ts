/**
 * Which check a finding comes from. `decisions`: a signed decision in the bundle's archived history does not verify
 * again, or the re-check disagrees with the bundle's own verify.json.
 */
export type EvidenceCheck = 'manifest' | 'file' | 'seal' | 'roster' | 'chain' | 'member' | 'decisions';

/**
 * One thing in the archive that does not verify, named so a person can find it: which bundle (its key and run), which
 * check, which file, and what was expected against what was found.
 */
export interface EvidenceFinding {
  key: string;
  runId: string;
  check: EvidenceCheck;
  file?: string;
  expected?: string;
  found?: string;
  message: string;
}
