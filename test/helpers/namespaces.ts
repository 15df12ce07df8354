/**
 * Namespaces the test server creates besides `default`. A run's workflow ID is its runbook and target
 * (`region-failover/booking`) and the workflow checks it, so test files that run the same runbook on the same
 * target at the same time each get a namespace of their own, as two estates would in production.
 */
export const testNamespaces = [
  'region-failover',
  'region-failback',
  'region-crash',
  'region-live-drill',
  'isolate',
  'isolate-drill',
  'manual-booking',
  'manual-booking-drill',
  'readiness',
  'alerts',
  'console',
  'console-failover',
  'console-hands-on',
  'route53-failover',
  'patroni-failover',
  'region-worker-loss',
  'versioning',
  'cli-terminated',
  'lifecycle-estate',
  'paging-drill',
  'region-stateless',
  'airline',
  'plan-forecast',
  'plan-estate',
  'plan-operations',
  'console-plan',
  'verify-plan',
  'evidence-archiver',
  'evidence-archiver-trust',
  'evidence-decisions',
  'evidence-s3',
  'evidence-dev',
  'findings',
  'findings-readiness',
  'findings-squat',
  'evidence-pack',
] as const;
export type TestNamespace = (typeof testNamespaces)[number];
