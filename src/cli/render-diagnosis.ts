import type { ChalkInstance } from 'chalk';
import type { Diagnosis } from '../core/diagnosis.js';

/** Evidence lines shown on a terminal; the JSON document carries all of it. */
const EVIDENCE_SHOWN = 2;

/** The short block under a failed service: cause and summary, the deciding evidence, the hint, the log tail. */
export function diagnosisLines(diagnosis: Diagnosis, color: ChalkInstance): string[] {
  const lines = [`      ${color.bold('cause:')} ${color.red(diagnosis.cause)}: ${diagnosis.summary}`];
  for (const evidence of diagnosis.evidence.slice(0, EVIDENCE_SHOWN)) lines.push(`      ${color.dim(`${evidence.source}:`)} ${evidence.text}`);
  lines.push(`      ${color.bold('hint:')} ${diagnosis.hint}`);
  for (const tail of diagnosis.logTail ?? []) {
    lines.push(`      ${color.dim(`last ${tail.lines.length} log line${tail.lines.length === 1 ? '' : 's'} of ${tail.container}:`)}`);
    for (const line of tail.lines) lines.push(`        ${color.dim('│')} ${line}`);
  }
  return lines;
}
