import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { sha256Of } from './manifest';
import type { ObjectBackend } from './store';

/** Where in S3 the archive is, and how to reach it. */
export interface S3Location {
  bucket: string;
  /** Keys start with `<prefix>/`; empty for the bucket's root. */
  prefix: string;
  /** Another S3 API (moto, MinIO); unset for AWS itself. Such endpoints are addressed by path, not by bucket host name. */
  endpoint?: string;
  region?: string;
  /** Static credentials; unset, the SDK's own chain (environment, profile, instance role) finds them. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * An evidence store in an S3 bucket. In production the bucket has Object Lock in compliance mode, so a stored
 * object version can be neither deleted nor replaced until its retention ends, by anyone, the root account included.
 */
export class S3Backend implements ObjectBackend {
  private readonly client: S3Client;

  constructor(private readonly where: S3Location) {
    // The SDK warns on Node 20 that its releases from 2027 will need Node 22. Lifeboat pins one release exactly, so the
    // warning is about releases it does not use, and an auditor reading `evidence verify` would take it for a problem.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const config: S3ClientConfig = { region: where.region ?? 'us-east-1' };
    if (where.endpoint) Object.assign(config, { endpoint: where.endpoint, forcePathStyle: true });
    if (where.credentials) config.credentials = where.credentials;
    this.client = new S3Client(config);
  }

  get location(): string {
    return `s3://${this.where.bucket}${this.where.prefix ? `/${this.where.prefix}` : ''}`;
  }

  async listNames(under = ''): Promise<string[]> {
    const names: string[] = [];
    const base = this.keyOf('');
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.where.bucket, Prefix: this.keyOf(under), ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of page.Contents ?? []) if (object.Key?.startsWith(base)) names.push(object.Key.slice(base.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names;
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.where.bucket, Key: this.keyOf(name) }));
      return object.Body ? await object.Body.transformToByteArray() : new Uint8Array(0);
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    // The SHA-256 goes along so S3 itself refuses a body damaged on the way; a bucket with Object Lock needs a checksum anyway.
    const checksum = Buffer.from(sha256Of(bytes).slice('sha256:'.length), 'hex').toString('base64');
    await this.client.send(
      new PutObjectCommand({ Bucket: this.where.bucket, Key: this.keyOf(name), Body: bytes, ChecksumAlgorithm: 'SHA256', ChecksumSHA256: checksum }),
    );
  }

  private keyOf(name: string): string {
    return this.where.prefix ? `${this.where.prefix}/${name}` : name;
  }
}
