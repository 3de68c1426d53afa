import { runRolloutCommand } from '../cli/commands/rollout.js';
import { classifyFailure } from '../cli/failure.js';
import { createRenderer, type CliIo } from '../cli/render.js';
import type { RolloutResult } from '../core/execute.js';
import type { DeploymentPlan } from '../core/plan.js';
import { planSummaryMarkdown } from '../core/step-summary.js';
import { ExitCode, isEcsRollError } from '../core/errors.js';
import { appendStepSummary, errorCommand, writeOutputs } from './github.js';
import { inActionTerms, readActionInputs, type ActionRequest } from './inputs.js';
import { actionOutcome, failedServices, failureMessage, servicesChanged, taskDefinitionArns, type RolloutDocument } from './outcome.js';

/** What a workflow author does about a set-up error, after the CLI's words for it. */
const WORKFLOW_HINTS: Readonly<Record<string, string>> = {
  'no-region': '; in a workflow, aws-actions/configure-aws-credentials sets AWS_REGION from its aws-region',
  'no-credentials': '; in a workflow, run aws-actions/configure-aws-credentials before this step (with permissions: id-token: write for OIDC)',
};

/** Outputs when the rollout never produced a document: a workflow's `outcome == 'failed'` test still holds. */
const NO_RESULT_OUTPUTS = { result: '', outcome: 'failed', 'services-changed': '0', 'task-definition-arns': '[]' };

/**
 * The GitHub Action: reads the inputs the runner put in the environment, runs `rollout` exactly as the
 * CLI does (its JSON document captured, its events rendered as plain progress lines for the log), then
 * writes the outputs, the job summary and an error annotation per failed service. Answers the exit code.
 */
export async function runAction(io: CliIo, signal: AbortSignal): Promise<number> {
  const env = io.env;
  const fail = (code: number, message: string): number => {
    io.stdout.write(errorCommand(`ecs-roll: ${message}`));
    writeOutputs(env, NO_RESULT_OUTPUTS);
    return code;
  };

  let request: ActionRequest;
  try {
    request = readActionInputs(env);
  } catch (error) {
    if (isEcsRollError(error)) return fail(error.exitCode, error.message);
    throw error;
  }

  let json = '';
  // The command sees GITHUB_STEP_SUMMARY too, and appends the job summary of the rollout itself.
  const capture: CliIo = { stdout: { write: (text: string) => (json += text) }, stderr: io.stderr, env };
  const dryRun = request.options.dryRun === true;
  const progress = createRenderer({ stdout: io.stdout, stderr: io.stderr, env }, { json: false, color: false });
  let plan: DeploymentPlan | undefined;
  let exitCode: number;
  try {
    exitCode = await runRolloutCommand(request.image, { ...request.options, json: true, color: false }, capture, signal, (event) => {
      if (event.type !== 'plan') return progress.event(event);
      plan = event.plan;
      progress.plan(event.plan, dryRun);
    });
  } catch (error) {
    progress.close();
    // The CLI's own sorting into the exit code table: 2 for usage, 3 when the runner is not set up for AWS.
    const failure = classifyFailure(error);
    return fail(failure.exitCode, `${inActionTerms(failure.message)}${WORKFLOW_HINTS[failure.code] ?? ''}`);
  }

  if (json.trim() === '') {
    progress.close();
    // Rollout ended without a document (it stopped before planning): its exit code stands.
    writeOutputs(env, { ...NO_RESULT_OUTPUTS, outcome: exitCode === ExitCode.ok ? 'unchanged' : 'failed' });
    return signal.aborted ? ExitCode.interrupted : exitCode;
  }
  const document = JSON.parse(json) as RolloutDocument;
  if (document.kind === 'rollout-result') progress.result(document as unknown as RolloutResult);
  progress.close();

  // A check rollout makes after the fact (one that fails an otherwise clean run) decides over the document.
  const reported = actionOutcome(document);
  const outcome = exitCode !== ExitCode.ok && (reported === 'deployed' || reported === 'unchanged') ? 'failed' : reported;
  for (const service of failedServices(document)) io.stdout.write(errorCommand(failureMessage(service)));
  if (signal.aborted) io.stdout.write(errorCommand('ecs-roll: interrupted; the result lists what was changed'));
  writeOutputs(env, {
    result: JSON.stringify(document),
    outcome,
    'services-changed': String(servicesChanged(document)),
    'task-definition-arns': JSON.stringify(taskDefinitionArns(document)),
  });
  // A dry run has no result for the command to summarise; its plan is summarised the same way.
  if (dryRun && plan !== undefined) appendStepSummary(env, planSummaryMarkdown(plan));
  return signal.aborted ? ExitCode.interrupted : exitCode;
}
