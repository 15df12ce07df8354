import { GetHealthCheckCommand, GetHealthCheckStatusCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import { call } from './client';
import type { Route53Settings } from './settings';

/** Route 53 counts an endpoint healthy when more than 18% of its checkers see it healthy (AWS's documented rule). */
const HEALTHY_SHARE = 0.18;

/** A health check as Route 53 evaluates it for routing, in the words `EndpointHealth` wants. */
export interface CheckVerdict {
  healthy: boolean;
  status: string;
  checkDetail?: string;
}

/**
 * What Route 53 makes of one health check. Read from `GetHealthCheck` (type, disabled, inverted) and
 * `GetHealthCheckStatus` (each checker's last observation). Never guessed: a status Route 53 does not report
 * (calculated and CloudWatch-alarm checks have no per-checker observations) is `unknown` and not healthy.
 * A health check that does not exist is `missing`; a refusal (IAM) or no answer throws like any other call.
 */
export async function evaluateHealthCheck(client: Route53Client, settings: Route53Settings, id: string): Promise<CheckVerdict> {
  let config;
  try {
    config = (await call(settings, 'route53:GetHealthCheck', () => client.send(new GetHealthCheckCommand({ HealthCheckId: id })))).HealthCheck
      ?.HealthCheckConfig;
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === 'InvalidInput') return { healthy: false, status: 'missing', checkDetail: err.message };
    throw err;
  }
  const inverted = config?.Inverted === true;
  if (config?.Disabled) {
    // Route 53 stops checking a disabled health check and treats it as healthy (unhealthy when also inverted).
    return { healthy: !inverted, status: `disabled (Route 53 treats it as ${inverted ? 'unhealthy: inverted' : 'healthy'})` };
  }
  if (config?.Type === 'CALCULATED' || config?.Type === 'CLOUDWATCH_METRIC' || config?.Type === 'RECOVERY_CONTROL') {
    return { healthy: false, status: 'unknown', checkDetail: `a ${config.Type} health check has no per-checker status; read it in the Route 53 console` };
  }
  const observations =
    (await call(settings, 'route53:GetHealthCheckStatus', () => client.send(new GetHealthCheckStatusCommand({ HealthCheckId: id })))).HealthCheckObservations ??
    [];
  const reports = observations.map((o) => o.StatusReport?.Status ?? '').filter((s) => s !== '');
  if (reports.length === 0) return { healthy: false, status: 'unknown', checkDetail: 'no checker has reported yet' };
  const ok = reports.filter((s) => s.startsWith('Success')).length;
  const up = ok / reports.length > HEALTHY_SHARE !== inverted;
  const sample = reports.find((s) => s.startsWith('Success') === up) ?? reports[0]!;
  return {
    healthy: up,
    status: `${up ? 'Healthy' : 'Unhealthy'} (${ok} of ${reports.length} checkers report success${inverted ? ', inverted' : ''})`,
    checkDetail: sample,
  };
}
