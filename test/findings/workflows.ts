/**
 * The bundle the findings tests' workers run: the test bundle, with the test-only kit-exercise runbook in the catalog,
 * so a findings workflow can keep its findings as it would a shipped runbook's.
 */
import { runbooks } from '../../runbooks';
import { kitExercise } from '../workflows/kit-exercise';

runbooks[kitExercise.id] = kitExercise;

export * from '../workflows';
