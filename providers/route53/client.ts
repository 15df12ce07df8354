import { Route53Client } from '@aws-sdk/client-route-53';
import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { Route53Settings } from './settings';

/**
 * A Route 53 client on AWS's standard credential chain (environment, `AWS_PROFILE` or `settings.profile` in the
 * shared files, SSO, web identity, container and instance roles): credentials never come from the targets file.
 * `settings.endpoint` points it at an emulator. Route 53 is a global service whose API lives in us-east-1.
 */
export function route53Client(settings: Route53Settings): Route53Client {
  return new Route53Client({
    region: settings.awsRegion,
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
  });
}

/** What an AWS SDK v3 error carries, as far as telling its cause goes. */
interface AwsError {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** A retry waits out these: the API is busy, or another change to the zone is still being applied. */
const retryableNames = new Set([
  'Throttling',
  'ThrottlingException',
  'PriorRequestNotComplete',
  'ServiceUnavailable',
  'InternalFailure',
  'RequestTimeout',
  'TimeoutError',
]);
/** The caller is not who it should be, or may not do this: an operator fixes credentials or IAM, a retry cannot. */
const deniedNames = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'ExpiredTokenException',
]);

/** Where the credentials came from, for messages that say which ones to fix. */
export function credentialSource(settings: Route53Settings): string {
  if (settings.profile) return `profile "${settings.profile}"`;
  if (process.env.AWS_PROFILE) return `profile "${process.env.AWS_PROFILE}" (AWS_PROFILE)`;
  if (process.env.AWS_ACCESS_KEY_ID) return 'the keys in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
  return "AWS's standard credential chain";
}

/**
 * Turns an SDK error into the provider's error contract: a plain `Error` when a retry may cure it (throttling, a
 * network failure, a 5xx), otherwise a non-retryable `providerFailure` whose message names the fix.
 * `doing` names the API action (`route53:GetHostedZone`), which is also the IAM permission it needs.
 */
export function route53Error(err: unknown, settings: Route53Settings, doing: string): Error {
  const e = (err ?? {}) as AwsError;
  const name = e.name ?? 'Error';
  const said = `${e.code && e.code !== name ? `${name} ${e.code}` : name}: ${e.message ?? String(err)}`;
  const where = settings.endpoint ? ` at ${settings.endpoint}` : '';
  if (name === 'CredentialsProviderError') {
    return providerFailure(
      ProviderErrorType.Precondition,
      `${doing}: no AWS credentials found (${e.message}); ` +
        'set AWS_PROFILE or "profile" in the targets file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run on a role',
    );
  }
  if (deniedNames.has(name) || e.$metadata?.httpStatusCode === 403) {
    return providerFailure(
      ProviderErrorType.Refused,
      `${doing} was denied for ${credentialSource(settings)} (${said}); grant ${doing} to that identity, or refresh expired credentials (aws sso login)`,
    );
  }
  if (name === 'NoSuchHostedZone') {
    return providerFailure(
      ProviderErrorType.InvalidInput,
      `${doing}: hosted zone "${settings.hostedZoneId}" does not exist${where}; fix "hostedZoneId" in the targets file (aws route53 list-hosted-zones)`,
    );
  }
  if (name === 'NoSuchHealthCheck') {
    return providerFailure(
      ProviderErrorType.InvalidInput,
      `${doing}: ${said}; fix the region's "healthCheckId" in the targets file (aws route53 list-health-checks)`,
    );
  }
  if (name === 'InvalidChangeBatch' || name === 'InvalidInput') {
    return providerFailure(ProviderErrorType.Refused, `Route 53 refused ${doing} in zone ${settings.hostedZoneId}: ${said}`);
  }
  // A network failure (ECONNREFUSED, a reset, a DNS miss) carries no HTTP status: the SDK never got an answer.
  if (retryableNames.has(name) || e.$fault === 'server' || e.$metadata?.httpStatusCode === undefined) {
    return new Error(`Route 53${where} did not answer ${doing}: ${said}`);
  }
  return providerFailure(ProviderErrorType.Refused, `Route 53 refused ${doing}: ${said}`);
}

/** Runs one API call, classifying what it throws. */
export async function call<T>(settings: Route53Settings, doing: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw route53Error(err, settings, doing);
  }
}
