import { scenarioTags } from '../../../kit/trust';
import type { PackCoverage, PackSubject } from './types';

/**
 * What the period did not test: runbooks and plans of the catalog with no test, scenarios no test rehearsed, and the
 * services of the targets file no tested plan covers. A service counts as covered by a plan when a test of the plan
 * ran a member on it; runbook tests that reached it directly are listed beside it, since a service failed over on
 * its own is not the service recovered with the rest of the airline.
 */
export function coverageOf(subjects: readonly PackSubject[], services: readonly string[] | undefined): PackCoverage {
  const tested = subjects.flatMap((s) => s.tests);
  const scenarios = scenarioTags.map((scenario) => {
    const rehearsing = tested.filter((t) => t.scenarios.includes(scenario));
    return { scenario, tests: rehearsing.length, passed: rehearsing.filter((t) => t.result === 'pass').length };
  });
  const coverage: PackCoverage = {
    untested: subjects.filter((s) => s.inCatalog && s.tests.length === 0).map((s) => ({ kind: s.kind, id: s.id, title: s.title })),
    scenarios,
    neverRehearsed: scenarios.filter((s) => s.tests === 0).map((s) => s.scenario),
  };
  if (services === undefined) return coverage;
  coverage.services = [...new Set(services)].sort().map((service) => ({
    service,
    plans: unique(subjects.filter((s) => s.kind === 'plan' && s.tests.some((t) => (t.members ?? []).some((m) => m.target === service))).map((s) => s.id)),
    runbooks: unique(subjects.filter((s) => s.kind === 'runbook' && s.tests.some((t) => t.target === service)).map((s) => s.id)),
  }));
  coverage.uncoveredServices = coverage.services.filter((s) => s.plans.length === 0).map((s) => s.service);
  return coverage;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
