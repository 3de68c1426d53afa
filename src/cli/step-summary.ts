import { appendFile } from 'node:fs/promises';
import type { RolloutResult } from '../core/execute.js';
import { stepSummaryMarkdown } from '../core/step-summary.js';
import type { CliIo } from './render.js';

/** Appends the rollout's Markdown summary to GitHub Actions' job summary file; a write error is reported, not fatal. */
export async function appendStepSummary(file: string, result: RolloutResult, io: CliIo): Promise<void> {
  try {
    await appendFile(file, stepSummaryMarkdown(result), 'utf8');
  } catch (error) {
    io.stderr.write(`ecs-roll: could not append to GITHUB_STEP_SUMMARY (${file}): ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
