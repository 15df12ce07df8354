import { DirectoryBackend } from './directory-backend';
import { S3Backend, type S3Location } from './s3-backend';
import { ObjectEvidenceStore, type EvidenceStore } from './store';

/** Thrown when the archive's location cannot be used: `problem` is what is wrong, `suggestion` how to fix it. */
export class EvidenceStoreConfigError extends Error {
  override readonly name = 'EvidenceStoreConfigError';
  constructor(
    readonly problem: string,
    readonly suggestion: string,
  ) {
    super(`${problem}; ${suggestion}`);
  }
}

const bucketName = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Opens the archive a location names: `s3://bucket/prefix` for S3 (the endpoint from LIFEBOAT_EVIDENCE_S3_ENDPOINT when
 * it is not AWS itself, the region from AWS_REGION, credentials from the environment's AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY or else the SDK's own chain), anything else a folder.
 */
export function openEvidenceStore(location: string, env: NodeJS.ProcessEnv = process.env): EvidenceStore {
  if (!location.startsWith('s3://')) return new ObjectEvidenceStore(new DirectoryBackend(location));
  const [bucket = '', ...rest] = location.slice('s3://'.length).split('/');
  if (!bucketName.test(bucket))
    throw new EvidenceStoreConfigError(
      `"${bucket}" in ${location} is not an S3 bucket name`,
      'name the bucket as S3 does: 3 to 63 lowercase letters, digits, dots and hyphens',
    );
  const where: S3Location = { bucket, prefix: rest.filter(Boolean).join('/') };
  if (env.LIFEBOAT_EVIDENCE_S3_ENDPOINT) where.endpoint = env.LIFEBOAT_EVIDENCE_S3_ENDPOINT;
  if (env.AWS_REGION) where.region = env.AWS_REGION;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
    where.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  return new ObjectEvidenceStore(new S3Backend(where));
}
