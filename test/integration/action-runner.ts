// The GitHub Actions runner, as far as a JavaScript action sees it: action.yml's inputs and defaults,
// INPUT_<NAME> variables, the GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, `::error::` lines on stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_ENV } from './helpers.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What `npm run build` writes and a release commit carries; action.yml's `runs.main`. */
export const BUNDLE = join(ROOT, 'dist/action/index.mjs');

// action.yml, read as far as the tests need: the inputs, their `required` and `default`, the outputs, `runs`.

export interface DeclaredInput {
  name: string;
  required: boolean;
  default?: string;
}

export interface ActionMetadata {
  inputs: DeclaredInput[];
  outputs: string[];
  runs: Record<string, string>;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return /^(['"]).*\1$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}

/** A reader for the plain block YAML action.yml is written in (two-space indents, scalar values). */
export function readActionYml(): ActionMetadata {
  const metadata: ActionMetadata = { inputs: [], outputs: [], runs: {} };
  let section = '';
  for (const line of readFileSync(join(ROOT, 'action.yml'), 'utf8').split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const top = /^(\S[^:]*):/.exec(line);
    if (top !== null) {
      section = top[1] ?? '';
      continue;
    }
    const entry = /^ {2}(\S[^:]*):\s*(.*)$/.exec(line);
    if (entry !== null) {
      const [, name = '', value = ''] = entry;
      if (section === 'inputs') metadata.inputs.push({ name, required: false });
      else if (section === 'outputs') metadata.outputs.push(name);
      else if (section === 'runs') metadata.runs[name] = unquote(value);
      continue;
    }
    const field = /^ {4}(required|default):\s*(.*)$/.exec(line);
    const current = metadata.inputs.at(-1);
    if (field !== null && section === 'inputs' && current !== undefined) {
      if (field[1] === 'required') current.required = unquote(field[2] ?? '') === 'true';
      else current.default = unquote(field[2] ?? '');
    }
  }
  return metadata;
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** The raw GITHUB_OUTPUT file. */
  outputFile: string;
  summary: string;
}

/** GITHUB_OUTPUT's entries; every one must be in the `name<<delimiter` form with a delimiter of its own. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    index += 1;
    if (line === '') continue;
    const head = /^([\w-]+)<<(ghadelimiter_[0-9a-f-]{36})$/.exec(line);
    if (head === null) throw new Error(`not a multi-line output entry: ${JSON.stringify(line)}`);
    const [, name = '', delimiter = ''] = head;
    const end = lines.indexOf(delimiter, index);
    if (end === -1) throw new Error(`output ${name} has no closing delimiter`);
    outputs[name] = lines.slice(index, end).join('\n');
    index = end + 1;
  }
  return outputs;
}

/**
 * Runs the bundle with `with:` values as the runner would pass them: every input action.yml gives a default
 * gets it unless the workflow set it; names become INPUT_ + upper case, spaces to underscores, hyphens kept.
 */
export type RunAction = (
  withInputs: Record<string, string>,
  extraEnv?: NodeJS.ProcessEnv,
  bundle?: string,
  started?: (child: ChildProcess) => void,
) => Promise<ActionRun>;

/** A runner that sends AWS calls to `endpoint` and keeps the step's files in `workDir`. */
export function actionRunner(endpoint: string, workDir: string): RunAction {
  let runCount = 0;
  return async (withInputs, extraEnv = {}, bundle = BUNDLE, started) => {
    runCount += 1;
    const outputPath = join(workDir, `output-${runCount}`);
    const summaryPath = join(workDir, `summary-${runCount}`);
    // The runner creates both files empty before the step starts.
    writeFileSync(outputPath, '');
    writeFileSync(summaryPath, '');
    const inputs: NodeJS.ProcessEnv = {};
    for (const declared of readActionYml().inputs) {
      if (declared.default !== undefined) inputs[`INPUT_${declared.name.replace(/ /g, '_').toUpperCase()}`] = declared.default;
    }
    for (const [name, value] of Object.entries(withInputs)) inputs[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...TEST_ENV,
      AWS_ENDPOINT_URL: endpoint,
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: outputPath,
      GITHUB_STEP_SUMMARY: summaryPath,
      ...inputs,
      ...extraEnv,
    };
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bundle], { env, cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
      started?.(child);
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
      child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('error', reject);
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve({ code: exitCode, stdout: out, stderr: err });
      });
    });
    const outputFile = readFileSync(outputPath, 'utf8');
    return { code, stdout, stderr, outputs: parseOutputFile(outputFile), outputFile, summary: readFileSync(summaryPath, 'utf8') };
  };
}

/** Workflow commands the step wrote: `::error::` lines, decoded as the runner decodes them. */
export function errorAnnotations(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .map((line) => line.slice('::error::'.length).replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'));
}
