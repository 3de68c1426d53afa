// How a JavaScript action talks to the GitHub Actions runner, written out rather than taken from
// @actions/core so the bundle carries only what it uses:
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EOL } from 'node:os';

/**
 * A workflow command's message ends at the line break, and the runner decodes `%25`, `%0D` and `%0A`
 * in it, so those three characters are encoded (the same escaping as @actions/core's command.ts).
 */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** `::error::message`: an error annotation on the run and a red line in the log. */
export function errorCommand(message: string): string {
  return `::error::${escapeCommandData(message)}${EOL}`;
}

/**
 * One output in GITHUB_OUTPUT's multi-line form, `name<<delimiter`, the value, the delimiter. The delimiter
 * is random per value so that no value (a JSON document with service events in it) can end it early.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#multiline-strings
 */
export function outputEntry(name: string, value: string): string {
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter)) {
    throw new Error(`the output ${name} contains its own delimiter`);
  }
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
}

/**
 * Appends the outputs to the file GITHUB_OUTPUT names (the runner reads it when the step ends).
 * Outside a runner there is no such file, and nothing to do.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#setting-an-output-parameter
 */
export function writeOutputs(env: NodeJS.ProcessEnv, outputs: Readonly<Record<string, string>>): void {
  const file = env.GITHUB_OUTPUT;
  if (file === undefined || file === '') return;
  appendFileSync(
    file,
    Object.entries(outputs)
      .map(([name, value]) => outputEntry(name, value))
      .join(''),
    'utf8',
  );
}

/**
 * Appends Markdown to the step's job summary, shown on the run's summary page.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-job-summary
 */
export function appendStepSummary(env: NodeJS.ProcessEnv, markdown: string): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file === undefined || file === '') return;
  appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`, 'utf8');
}
