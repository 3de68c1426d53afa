import type { ChalkInstance } from 'chalk';
import type { RolloutEvent } from '../core/events.js';
import type { RolloutResult } from '../core/execute.js';
import { revisionName } from '../core/model.js';
import type { DeploymentPlan } from '../core/plan.js';
import type { RunStepOutcome } from '../core/run-step.js';

/** A command as a shell would take it back: words with spaces or quotes are single-quoted. */
export function shellQuote(words: readonly string[]): string {
  return words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function networkText(network: Readonly<Record<string, unknown>> | undefined): string {
  const awsvpc = network?.awsvpcConfiguration as { subnets?: string[]; securityGroups?: string[]; assignPublicIp?: string } | undefined;
  if (awsvpc === undefined) return 'network of the task definition';
  return `subnets ${(awsvpc.subnets ?? []).join(',') || '-'}, security groups ${(awsvpc.securityGroups ?? []).join(',') || '-'}${awsvpc.assignPublicIp === 'ENABLED' ? ', public IP' : ''}`;
}

/** The plan's run-before steps: which revision, cluster, launch, network and command. */
export function planRunLines(plan: DeploymentPlan, color: ChalkInstance): string[] {
  return (plan.runsBefore ?? []).map((run) => {
    const name = `${run.cluster}/${run.service}`;
    if (run.skipReason !== undefined) return `  ${color.yellow('no run')}   ${name}: ${run.skipReason}`;
    const launch = run.launch.capacityProviderStrategy?.map((item) => item.capacityProvider).join('+') ?? run.launch.launchType ?? 'cluster default';
    return (
      `  ${color.bold('run')}      ${run.step}. ${run.container} in the new ${run.family} revision, cluster ${run.cluster} (${launch}` +
      `${run.launch.platformVersion === undefined ? '' : ` ${run.launch.platformVersion}`}; ${networkText(run.launch.networkConfiguration)}): ` +
      `${color.cyan(shellQuote(run.command))} ${color.dim('before any service moves')}`
    );
  });
}

export function runEventLine(event: RolloutEvent, color: ChalkInstance): string | undefined {
  if (event.type === 'run-started') {
    return `${color.green('▶')} ${event.adopted ? 'waiting for the run-before task an earlier run started' : 'started run-before task'} ${event.step} (${event.cluster}/${event.service} ${event.container}, ${revisionName(event.taskDefinitionArn)}): ${color.dim(event.taskArn)}`;
  }
  if (event.type === 'run-finished') {
    const run = event.outcome;
    const took = run.durationSeconds === undefined ? '' : ` in ${run.durationSeconds} s`;
    if (run.outcome === 'succeeded' || run.outcome === 'already-succeeded') return `${color.green('✔')} run-before task ${run.step} exited 0${took}`;
    return `${color.red('✖')} run-before task ${run.step} ${run.outcome}${took}: ${run.reason ?? ''}`;
  }
  return undefined;
}

function diagnosisLines(run: RunStepOutcome, color: ChalkInstance): string[] {
  const diagnosis = run.diagnosis;
  if (diagnosis === undefined) return [];
  const lines = [`    task ${run.taskArn ?? '-'}`];
  if (diagnosis.stopCode !== undefined || diagnosis.stoppedReason !== undefined) {
    lines.push(`    stopped: ${[diagnosis.stopCode, diagnosis.stoppedReason].filter(Boolean).join(': ')}`);
  }
  for (const container of diagnosis.containers) {
    lines.push(`    ${container.name}: exit code ${container.exitCode ?? 'none'}${container.reason === undefined ? '' : ` (${container.reason})`}`);
  }
  lines.push(`    cause: ${diagnosis.cause}; ${diagnosis.hint}`);
  if (diagnosis.logStream !== undefined) {
    lines.push(`    last log lines of ${diagnosis.logStream}:${diagnosis.logTail.length === 0 ? ' (none)' : ''}`);
    for (const text of diagnosis.logTail) lines.push(color.dim(`      ${text}`));
  }
  return lines;
}

/** Failed run-before steps with their diagnosis, for the final report. */
export function runResultLines(result: RolloutResult, color: ChalkInstance): string[] {
  return (result.runsBefore ?? []).flatMap((run) => {
    if (run.outcome === 'succeeded' || run.outcome === 'already-succeeded' || run.outcome === 'skipped') return [];
    return [
      `  ${color.red(`run-before ${run.outcome.toUpperCase()}`)} ${run.step}. ${run.cluster}/${run.service} ${run.container}: ${run.reason ?? ''}`,
      ...diagnosisLines(run, color),
    ];
  });
}
