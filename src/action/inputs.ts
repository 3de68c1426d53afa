import { UsageError } from '../core/errors.js';
import type { RawRolloutOptions } from '../cli/options.js';

/**
 * One input of action.yml and the `rollout` option it stands for. This table is the one place the two
 * are tied together: the action reads its inputs through it, and a test checks it against action.yml and
 * against commander's option list for `rollout`, so neither can gain or lose an option unnoticed.
 */
export interface ActionInput {
  /** The input's id in action.yml. */
  readonly name: string;
  /** The rollout flags (long form, as commander spells them) the input covers; none for the image argument. */
  readonly flags: readonly string[];
  readonly kind: 'image' | 'list' | 'string' | 'boolean';
  /** Where the value goes in the options commander would have produced. */
  readonly key?: string;
  /** Declared for workflows to use, but `rollout` has no such option yet: refused when given. */
  readonly notInCli?: true;
}

export const ACTION_INPUTS: readonly ActionInput[] = [
  { name: 'image', flags: [], kind: 'image' },
  { name: 'clusters', flags: ['--cluster'], kind: 'list', key: 'cluster' },
  { name: 'services', flags: ['--service'], kind: 'list', key: 'service' },
  { name: 'all-families', flags: ['--all-families'], kind: 'boolean', key: 'allFamilies' },
  { name: 'strategy', flags: ['--strategy'], kind: 'string', key: 'strategy' },
  { name: 'timeout', flags: ['--timeout'], kind: 'string', key: 'timeout' },
  { name: 'poll-interval', flags: ['--poll-interval'], kind: 'string', key: 'pollInterval' },
  { name: 'wait', flags: ['--no-wait'], kind: 'boolean', key: 'wait' },
  { name: 'rollback', flags: ['--rollback', '--no-rollback'], kind: 'boolean', key: 'rollback' },
  { name: 'force', flags: ['--force'], kind: 'boolean', key: 'force' },
  { name: 'verify', flags: ['--no-verify'], kind: 'boolean', key: 'verify' },
  { name: 'pin-digest', flags: ['--pin-digest'], kind: 'boolean', key: 'pinDigest' },
  // One spec per line: a spec holds commas itself.
  { name: 'run-before', flags: ['--run-before'], kind: 'list', key: 'runBefore' },
  { name: 'run-timeout', flags: ['--run-timeout'], kind: 'string', key: 'runTimeout' },
  // One target per line; URLs are secrets (pass them from `secrets`), never printed.
  { name: 'notify', flags: ['--notify'], kind: 'list', key: 'notify' },
  { name: 'expect-services', flags: ['--expect-services'], kind: 'string', key: 'expectServices' },
  { name: 'require-match', flags: ['--require-match'], kind: 'boolean', key: 'requireMatch' },
  { name: 'region', flags: ['--region'], kind: 'string', key: 'region' },
  { name: 'dry-run', flags: ['--dry-run'], kind: 'boolean', key: 'dryRun' },
];

/** `rollout` options deliberately without an input, and why. */
export const OPTIONS_WITHOUT_INPUT: Readonly<Record<string, string>> = {
  '--json': 'the action always produces the JSON document: the `result` output',
  '--profile': 'credentials come from the environment (configure-aws-credentials, or AWS_PROFILE in the step env)',
  '--endpoint-url': 'AWS_ENDPOINT_URL in the step env does the same',
  '--registry-auth': 'a secret: log in with docker/login-action first, whose ~/.docker/config.json is read',
};

/** The environment variable the runner sets for an input: `INPUT_` and the id upper-cased, spaces to underscores. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** An input as the runner passes it, trimmed as @actions/core does; empty counts as not given. */
function readInput(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[inputVariable(name)]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

// The YAML 1.2 core schema's booleans, which is what @actions/core's getBooleanInput accepts.
const TRUE_WORDS = new Set(['true', 'True', 'TRUE']);
const FALSE_WORDS = new Set(['false', 'False', 'FALSE']);

function parseBoolean(name: string, value: string): boolean {
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw new UsageError(`input "${name}" must be true or false, got ${JSON.stringify(value)}`);
}

export interface ActionRequest {
  readonly image: string;
  /** What commander would have handed `rollout` for the same choices. */
  readonly options: RawRolloutOptions;
}

/** Reads the inputs from the environment; a missing image or a malformed value is a usage error. */
export function readActionInputs(env: NodeJS.ProcessEnv): ActionRequest {
  let image: string | undefined;
  const options: Record<string, unknown> = {};
  for (const input of ACTION_INPUTS) {
    const value = readInput(env, input.name);
    if (value === undefined) continue;
    if (input.notInCli) {
      throw new UsageError(
        `input "${input.name}" is not supported by this version of ecs-roll; remove it or use a version that has ${input.flags[0]}`,
      );
    }
    if (input.kind === 'image') image = value;
    else if (input.kind === 'boolean') options[input.key as string] = parseBoolean(input.name, value);
    // One per line or comma-separated, as a workflow author writes either; rollout splits the commas.
    else if (input.kind === 'list')
      options[input.key as string] = value
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '');
    else options[input.key as string] = value;
  }
  if (image === undefined) {
    throw new UsageError(`input "image" is required: the image to roll out, e.g. acme/web:1.4.2 (${inputVariable('image')} is not set)`);
  }
  return { image, options: options as RawRolloutOptions };
}

/** Rollout's messages name its flags; in a workflow the same thing is an input. */
export function inActionTerms(message: string): string {
  let worded = message;
  for (const input of ACTION_INPUTS) {
    for (const flag of input.flags) worded = worded.replaceAll(new RegExp(`${flag}(?![\\w-])`, 'g'), `input "${input.name}"`);
  }
  return worded;
}
