import { ApplicationFailure } from '@temporalio/common';
import { expect, test } from 'vitest';
import { route53Error } from '../../providers/route53/client';
import { Route53Settings } from '../../providers/route53/settings';

/** The errors AWS answers with, shaped as the SDK throws them; moto enforces no IAM, so these cannot come from it. */
const settings = Route53Settings.parse({
  provider: 'route53',
  hostedZoneId: 'Z0123456789ABC',
  recordName: 'booking.example.com',
  profile: 'dr-prod',
  regions: { A: { setIdentifier: 'a', value: 'a.example.net' }, B: { setIdentifier: 'b', value: 'b.example.net' } },
});
const aws = (name: string, status: number, message = 'x') =>
  Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

test('throttling, a change in progress, a 5xx and a network failure are retryable', () => {
  const network = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', $metadata: { attempts: 3 } });
  for (const err of [aws('Throttling', 400), aws('PriorRequestNotComplete', 400), aws('InternalFailure', 500), network]) {
    const classified = route53Error(err, settings, 'route53:ChangeResourceRecordSets');
    expect(classified).not.toBeInstanceOf(ApplicationFailure);
    expect(classified.message).toContain('did not answer route53:ChangeResourceRecordSets');
  }
});

test('access denied names the permission and the credentials to fix', () => {
  const err = route53Error(aws('AccessDenied', 403, 'User: arn:aws:iam::1:user/x is not authorized'), settings, 'route53:ChangeResourceRecordSets');
  expect(err).toMatchObject({ nonRetryable: true, type: 'Refused' });
  expect(err.message).toBe(
    'route53:ChangeResourceRecordSets was denied for profile "dr-prod" (AccessDenied: User: arn:aws:iam::1:user/x is not authorized); ' +
      'grant route53:ChangeResourceRecordSets to that identity, or refresh expired credentials (aws sso login)',
  );
});

test('a missing zone, a refused change and missing credentials are not retried', () => {
  expect(route53Error(aws('NoSuchHostedZone', 404), settings, 'route53:GetHostedZone')).toMatchObject({
    nonRetryable: true,
    type: 'InvalidInput',
    message: 'route53:GetHostedZone: hosted zone "Z0123456789ABC" does not exist; fix "hostedZoneId" in the targets file (aws route53 list-hosted-zones)',
  });
  expect(route53Error(aws('InvalidChangeBatch', 400, 'RRSet with DNS name x is not permitted'), settings, 'route53:ChangeResourceRecordSets')).toMatchObject({
    nonRetryable: true,
    type: 'Refused',
  });
  const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
  expect(route53Error(noCredentials, settings, 'route53:GetHostedZone')).toMatchObject({ nonRetryable: true, type: 'Precondition' });
});
