import { revisionName } from '../core/model.js';
import type { ActionOutcome, RolloutDocument, ServiceView } from './outcome.js';

const HEADLINES: Record<ActionOutcome, string> = {
  deployed: 'deployed',
  unchanged: 'nothing to change',
  failed: 'failed',
  'rolled-back': 'failed and rolled back',
};

/** A table cell: no line breaks, and a `|` would end the cell early. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function revision(arn: string | null | undefined): string {
  return arn === undefined || arn === null ? '' : `\`${revisionName(arn)}\``;
}

function why(service: ServiceView): string {
  const diagnosis = service.diagnosis;
  if (diagnosis?.summary !== undefined && diagnosis.summary !== '') {
    return `**${diagnosis.cause ?? 'unknown'}**: ${diagnosis.summary}${diagnosis.hint === undefined || diagnosis.hint === '' ? '' : ` — ${diagnosis.hint}`}`;
  }
  return service.reason ?? '';
}

/** The rollout as Markdown for the job summary: the headline, then one row per service. */
export function rolloutSummaryMarkdown(document: RolloutDocument, outcome: ActionOutcome): string {
  const dryRun = document.kind === 'rollout-plan';
  const lines = [
    `### ecs-roll ${dryRun ? 'plan (dry run)' : 'rollout'}: \`${cell(document.target.image)}\` — ${dryRun ? 'nothing was changed' : HEADLINES[outcome]}`,
    '',
  ];
  if (document.services.length === 0) {
    lines.push('No service runs a task definition with this image.');
    return `${lines.join('\n')}\n`;
  }
  lines.push('| Service | From | To | Outcome | Why |', '| --- | --- | --- | --- | --- |');
  for (const service of document.services) {
    lines.push(
      `| ${cell(`${service.cluster}/${service.service}`)} | ${revision(service.oldTaskDefinitionArn)} | ${revision(service.newTaskDefinitionArn)} | ${cell(dryRun ? (service.action ?? service.outcome) : service.outcome)} | ${cell(why(service))} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
