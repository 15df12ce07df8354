/** The test bundle: the product's workflows plus the test-only ones that exercise the kit. */
export * from '../../workflows';
export { kitExerciseWorkflow as kitExercise } from './kit-exercise';
export { kitStepsWorkflow } from './kit-steps';
export { kitBeforeWorkflow } from './kit-before';
export { plainSteps } from './plain';
