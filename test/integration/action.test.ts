// The GitHub Action, run as the Actions runner runs it: the built bundle in a child process, the inputs
// as INPUT_<NAME> variables (action.yml's defaults filled in, as the runner does), GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY as temporary files, against the sandbox; outcomes checked through the ECS API.
// Also: action.yml, the action's input table and the CLI's `rollout` options cannot drift apart, and a
// release tag carries a bundle that runs from a bare checkout of the tag, without node_modules.
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, type CreateServiceCommandInput } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { until } from '../eventually.js';
import { ACTION_INPUTS, OPTIONS_WITHOUT_INPUT } from '../../src/action/inputs.js';
import { buildProgram } from '../../src/cli/program.js';
import { actionRunner, BUNDLE, errorAnnotations, readActionYml, ROOT, type RunAction } from './action-runner.js';
import { container, createCluster, createService, imagesOf, registerTaskDefinition, revisionCount, serviceTaskDefinition } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();
it.override({ sandboxConfig: { tick: 0.1 } });
let workDir: string;
let runAction: RunAction;

async function steadyService(cluster: string, name: string, taskDefinition: string, extra: Partial<CreateServiceCommandInput> = {}): Promise<void> {
  await createService(ecs, cluster, name, taskDefinition, extra);
  await until(
    `${cluster}/${name} is steady`,
    async () => {
      const service = (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services?.[0];
      const deployments = service?.deployments ?? [];
      return deployments.length === 1 && deployments[0]?.rolloutState === 'COMPLETED' && service?.runningCount === service?.desiredCount;
    },
    { ms: 15_000, every: 50 },
  );
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'ecs-roll-action-'));
  runAction = actionRunner(endpoint, workDir);
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('action.yml and the rollout command', () => {
  const metadata = readActionYml();
  const silent = { write: () => true };
  const program = buildProgram({ io: { stdout: silent, stderr: silent, env: {} }, signal: new AbortController().signal, setExitCode() {} });
  const rollout = program.commands.find((command) => command.name() === 'rollout');
  if (rollout === undefined) throw new Error('no rollout command');
  const cliOptions = new Map(rollout.options.map((option) => [option.long ?? '', option]));

  it('declares exactly the inputs the action reads, image alone required, and runs the bundle on node24', () => {
    expect(metadata.inputs.map((input) => input.name)).toEqual(ACTION_INPUTS.map((input) => input.name));
    expect(metadata.inputs.filter((input) => input.required).map((input) => input.name)).toEqual(['image']);
    expect(metadata.outputs).toEqual(['result', 'outcome', 'services-changed', 'task-definition-arns']);
    expect(metadata.runs).toEqual({ using: 'node24', main: 'dist/action/index.mjs' });
  });

  it("covers every rollout option with an input or a stated reason, and names each input's option as commander does", () => {
    const covered = new Set([
      ...ACTION_INPUTS.filter((input) => input.notInCli !== true).flatMap((input) => input.flags),
      ...Object.keys(OPTIONS_WITHOUT_INPUT),
    ]);
    expect([...cliOptions.keys()].sort()).toEqual([...covered].sort());
    for (const input of ACTION_INPUTS.filter((entry) => entry.notInCli !== true && entry.kind !== 'image')) {
      for (const flag of input.flags) expect(cliOptions.get(flag)?.attributeName(), `${input.name} → ${flag}`).toBe(input.key);
    }
  });

  it('refuses inputs rollout does not have yet, and notices when rollout gains them', () => {
    for (const input of ACTION_INPUTS.filter((entry) => entry.notInCli === true)) {
      // Once rollout has the option, the input must pass it through instead of refusing it.
      expect(cliOptions.has(input.flags[0] ?? ''), `rollout now has ${input.flags[0]}: wire the "${input.name}" input to it`).toBe(false);
    }
  });

  it("gives every input with a default the CLI's default", () => {
    for (const declared of metadata.inputs.filter((input) => input.default !== undefined)) {
      const input = ACTION_INPUTS.find((entry) => entry.name === declared.name);
      const flag = input?.flags[0] ?? '';
      const option = cliOptions.get(flag);
      expect(option, declared.name).toBeDefined();
      // A boolean flag without a default is false; a --no-x flag's default is true.
      const cliDefault =
        input?.kind === 'boolean' ? String((option?.defaultValue as boolean | undefined) ?? option?.negate === true) : String(option?.defaultValue);
      expect(declared.default, `${declared.name} (${flag})`).toBe(cliDefault);
    }
  });
});

describe('the action against the sandbox', () => {
  it('rolls out, writes the four outputs and the job summary, and a re-run reports unchanged', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0'), container('proxy', 'nginx:1.27')]);
    await steadyService('prod', 'web', source, { desiredCount: 2 });

    const run = await runAction({ image: 'acme/web:1.1', clusters: 'prod', 'poll-interval': '0.3' });
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(errorAnnotations(run.stdout)).toEqual([]);

    // Through the API: the service runs the new revision, and only the web container moved.
    const now = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(now).toMatch(/task-definition\/web:2$/);
    expect(await imagesOf(ecs, now)).toEqual({ web: 'acme/web:1.1', proxy: 'nginx:1.27' });

    // The outputs, each in the multi-line form with its own random delimiter.
    expect(Object.keys(run.outputs)).toEqual(['result', 'outcome', 'services-changed', 'task-definition-arns']);
    const delimiters = [...run.outputFile.matchAll(/<<(ghadelimiter_\S+)/g)].map((match) => match[1]);
    expect(new Set(delimiters).size).toBe(4);
    expect(run.outputs.outcome).toBe('deployed');
    expect(run.outputs['services-changed']).toBe('1');
    expect(JSON.parse(run.outputs['task-definition-arns'] ?? '')).toEqual([now]);
    const result = JSON.parse(run.outputs.result ?? '') as {
      kind: string;
      ok: boolean;
      services: { service: string; outcome: string; newTaskDefinitionArn: string }[];
    };
    expect(result).toMatchObject({ kind: 'rollout-result', ok: true });
    expect(result.services).toEqual([expect.objectContaining({ service: 'web', outcome: 'completed', newTaskDefinitionArn: now })]);

    // The log shows progress as the CLI's plain lines; the summary is a Markdown table.
    expect(run.stdout).toMatch(/updated prod\/web: web:1 → web:2/);
    expect(run.stdout).toMatch(/Done: 1 deployed/);
    expect(run.summary.match(/^### ecs-roll/gm)).toHaveLength(1);
    expect(run.summary).toContain('### ecs-roll: ✅ rollout of `acme/web:1.1`');
    expect(run.summary).toContain('| prod/web | web:1 → web:2 | completed |');

    const again = await runAction({ image: 'acme/web:1.1', 'poll-interval': '0.3' });
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs).toMatchObject({ outcome: 'unchanged', 'services-changed': '0', 'task-definition-arns': '[]' });
    expect(await revisionCount(ecs, 'web')).toBe(2);
  });

  it('fails on an image that cannot be pulled with exit 1, an ::error:: line with the service and its diagnosis, and the service put back', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'api', source, {
      desiredCount: 2,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });

    // The sandbox stops tasks of a `fail-pull` tag as ECS does when the image cannot be pulled.
    const run = await runAction({ image: 'acme/web:fail-pull-2', 'poll-interval': '0.3', timeout: '60' });
    expect(run.code, run.stdout).toBe(1);
    const result = JSON.parse(run.outputs.result ?? '') as {
      ok: boolean;
      services: { service: string; outcome: string; reason?: string; diagnosis?: { cause: string; summary: string; hint: string } }[];
    };
    expect(result).toMatchObject({ ok: false, services: [{ service: 'api', outcome: 'rolled-back' }] });
    const diagnosis = result.services[0]?.diagnosis;
    expect(diagnosis?.cause).toBe('image-pull');
    // One annotation: the service, its outcome, then the diagnosis's cause, summary and hint.
    expect(errorAnnotations(run.stdout)).toEqual([`prod/api rolled-back: image-pull: ${diagnosis?.summary} (${diagnosis?.hint})`]);

    expect(await serviceTaskDefinition(ecs, 'prod', 'api')).toBe(source);
    expect(run.outputs.outcome).toBe('rolled-back');
    expect(run.outputs['services-changed']).toBe('0');
    expect(JSON.parse(run.outputs['task-definition-arns'] ?? '')).toEqual([expect.stringMatching(/task-definition\/web:2$/)]);
    // The job summary, written once, by the rollout itself.
    expect(run.summary.match(/^### ecs-roll/gm)).toHaveLength(1);
    expect(run.summary).toContain('### ecs-roll: ❌ rollout of `acme/web:fail-pull-2`');
    expect(run.summary).toContain('| prod/api | web:1 → web:2 | rolled-back | image-pull |');
  });

  it('fails clearly, with exit 2 and before any AWS call, when the image input is missing or an input is not understood', async () => {
    await sandbox.clearCalls();
    const missing = await runAction({});
    expect(missing.code).toBe(2);
    expect(errorAnnotations(missing.stdout)).toEqual([
      'ecs-roll: input "image" is required: the image to roll out, e.g. acme/web:1.4.2 (INPUT_IMAGE is not set)',
    ]);
    expect(missing.outputs).toMatchObject({ outcome: 'failed', 'services-changed': '0', result: '' });

    // A blank value is not a value: the runner passes `image: ''` from an unset expression as an empty variable.
    expect((await runAction({ image: '  ' })).code).toBe(2);

    // A run-before spec is checked before any AWS call, in the workflow's terms.
    const badSpec = await runAction({ image: 'acme/web:1.1', 'run-before': 'migrate' });
    expect(badSpec.code).toBe(2);
    expect(errorAnnotations(badSpec.stdout)[0]).toMatch(/input "run-before" "migrate": "migrate" is not key=value/);

    const badStrategy = await runAction({ image: 'acme/web:1.1', strategy: 'bluegreen' });
    expect(badStrategy.code).toBe(2);
    expect(errorAnnotations(badStrategy.stdout)[0]).toMatch(/input "strategy" must be one of rolling, replace/);

    const badFlag = await runAction({ image: 'acme/web:1.1', 'dry-run': 'yes' });
    expect(badFlag.code).toBe(2);
    expect(errorAnnotations(badFlag.stdout)[0]).toBe('ecs-roll: input "dry-run" must be true or false, got "yes"');

    expect(await sandbox.calls()).toEqual([]);
  });

  it('fails with exit 1 before any change when expect-services or require-match is not met', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'web', source);
    await sandbox.clearCalls();

    const tooFew = await runAction({ image: 'acme/web:1.1', 'expect-services': '2' });
    expect(tooFew.code, tooFew.stdout).toBe(1);
    expect(errorAnnotations(tooFew.stdout)).toEqual([expect.stringMatching(/^ecs-roll: .*2/)]);
    expect(tooFew.outputs).toMatchObject({ outcome: 'failed', 'services-changed': '0', result: '' });

    const none = await runAction({ image: 'acme/other:1.1', 'require-match': 'true' });
    expect(none.code, none.stdout).toBe(1);
    expect(errorAnnotations(none.stdout)).toHaveLength(1);

    const both = await runAction({ image: 'acme/web:1.1', 'expect-services': '1', 'require-match': 'true' });
    expect(both.code).toBe(2);

    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
    expect((await sandbox.calls()).filter((call) => /^(Register|Update|Stop|Tag)/.test(call.action))).toEqual([]);

    // Met: the same run goes ahead.
    const met = await runAction({ image: 'acme/web:1.1', 'expect-services': '1', 'poll-interval': '0.3' });
    expect(met.code, met.stdout).toBe(0);
    expect(met.outputs.outcome).toBe('deployed');
  });

  it('stops waiting on SIGINT (a cancelled run), reports what it changed and exits 130', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    // Without the circuit breaker a broken deployment never ends: only the interrupt stops the wait.
    await steadyService('prod', 'web', source);
    let child: ChildProcess | undefined;
    const running = runAction({ image: 'acme/web:broken-3', 'poll-interval': '0.3', rollback: 'false' }, {}, BUNDLE, (spawned) => (child = spawned));
    await until('the action updated the service', async () => (await serviceTaskDefinition(ecs, 'prod', 'web')) !== source, {
      ms: 30_000,
      every: 100,
    });
    child?.kill('SIGINT');
    const run = await running;

    expect(run.code, run.stdout + run.stderr).toBe(130);
    expect(run.stderr).toContain('interrupted');
    expect(run.outputs.outcome).toBe('failed');
    expect(JSON.parse(run.outputs.result ?? '')).toMatchObject({ ok: false, services: [{ service: 'web', outcome: 'interrupted' }] });
    expect(errorAnnotations(run.stdout)).toEqual([
      expect.stringMatching(/^prod\/web interrupted: /),
      'ecs-roll: interrupted; the result lists what was changed',
    ]);
  });

  it('exits 3, a set-up error, when the runner has no region (configure-aws-credentials did not run)', async () => {
    const run = await runAction({ image: 'acme/web:1.1' }, { AWS_REGION: undefined, HOME: workDir });
    expect(run.code, run.stdout + run.stderr).toBe(3);
    const errors = errorAnnotations(run.stdout);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^ecs-roll: .*region/i);
    expect(run.outputs).toMatchObject({ outcome: 'failed', result: '' });
  });

  it('changes nothing on dry-run, and shows the plan in the log, the result output and the summary', async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'web', source);
    await sandbox.clearCalls();

    const run = await runAction({ image: 'acme/web:1.1', 'dry-run': 'true' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('Dry run: nothing was changed.');
    expect(run.outputs).toMatchObject({ outcome: 'unchanged', 'services-changed': '0', 'task-definition-arns': '[]' });
    expect(JSON.parse(run.outputs.result ?? '')).toMatchObject({
      kind: 'rollout-plan',
      dryRun: true,
      services: [{ service: 'web', action: 'update' }],
    });
    expect(run.summary).toContain('### ecs-roll: plan for `acme/web:1.1` (dry run, nothing was changed)');
    expect(run.summary).toContain('| prod/web | web:1 → a new web revision | update |');

    // Through the API and the sandbox's call log: nothing registered, nothing updated.
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
    expect(await revisionCount(ecs, 'web')).toBe(1);
    const writes = (await sandbox.calls()).filter((call) => /^(Register|Update|Stop|Tag)/.test(call.action));
    expect(writes).toEqual([]);
  });
});

describe('a release of the action', () => {
  const gitEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Release',
    GIT_AUTHOR_EMAIL: 'release@example.com',
    GIT_COMMITTER_NAME: 'Release',
    GIT_COMMITTER_EMAIL: 'release@example.com',
  };
  const git = (cwd: string, args: string[]): string => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();

  it('tags a commit on top of HEAD that adds only the bundle, which runs from a bare copy of the tag', async () => {
    // A clone of this checkout's HEAD stands for the repository being released.
    const clone = join(workDir, 'release-clone');
    git(workDir, ['clone', '--quiet', ROOT, clone]);
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const head = git(clone, ['rev-parse', 'HEAD']);
    const { version } = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { version: string };

    const release = spawnSync(process.execPath, [join(clone, 'scripts/release-action.mjs')], { cwd: clone, env: gitEnv, encoding: 'utf8' });
    expect(release.status, release.stderr).toBe(0);
    const tagged = git(clone, ['rev-parse', `v${version}^{commit}`]);
    expect(git(clone, ['rev-parse', `v${version.split('.')[0]}^{commit}`])).toBe(tagged);
    expect(git(clone, ['rev-parse', `${tagged}^`])).toBe(head);
    expect(git(clone, ['diff', '--name-status', head, tagged])).toBe('A\tdist/action/index.mjs');
    // The branch, the index and the working tree are as they were.
    expect(git(clone, ['rev-parse', 'HEAD'])).toBe(head);
    expect(git(clone, ['status', '--porcelain', '--untracked-files=no'])).toBe('');

    // What a runner downloads for `uses: <owner>/ecs-roll@v0`: the tag's files, no node_modules.
    const checkout = join(workDir, 'release-checkout');
    mkdirSync(checkout);
    const archive = execFileSync('git', ['archive', '--format=tar', tagged], { cwd: clone, maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', checkout], { input: archive });
    expect(existsSync(join(checkout, 'node_modules'))).toBe(false);
    const main = /^ {2}main: (\S+)$/m.exec(readFileSync(join(checkout, 'action.yml'), 'utf8'))?.[1] ?? '';
    expect(main).toBe('dist/action/index.mjs');

    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'web', source);
    const run = await runAction({ image: 'acme/web:1.1', 'dry-run': 'true' }, {}, join(checkout, main));
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.outcome).toBe('unchanged');
    expect(JSON.parse(run.outputs.result ?? '')).toMatchObject({ kind: 'rollout-plan', services: [{ service: 'web', action: 'update' }] });

    // The same version twice is refused, and so is a working tree that is not HEAD.
    const again = spawnSync(process.execPath, [join(clone, 'scripts/release-action.mjs')], { cwd: clone, env: gitEnv, encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`v${version} exists already`);
    git(clone, ['tag', '--delete', `v${version}`]);
    writeFileSync(join(clone, 'README.md'), 'changed\n');
    const dirty = spawnSync(process.execPath, [join(clone, 'scripts/release-action.mjs')], { cwd: clone, env: gitEnv, encoding: 'utf8' });
    expect(dirty.status).toBe(1);
    expect(dirty.stderr).toContain('uncommitted changes');
  });
});
