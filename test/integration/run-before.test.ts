import { DescribeTasksCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { eventually, until } from '../eventually.js';
import { hashToken } from '../../src/webhook/config.js';
import { addContainerInstance, createNetwork } from '../sandbox/ec2.js';
import {
  container,
  createCluster,
  createService,
  registerTaskDefinition,
  revisionCount,
  runCli,
  spawnCli,
  serviceTaskDefinition,
} from './helpers.js';
import { callPackagedHandler, pushJob, usePackagedHandler } from './packaged-handler.js';

const { endpoint, sandbox, ecs } = sandboxFile();

const FAST = ['--endpoint-url', endpoint, '--poll-interval', '0.2', '--timeout', '60'];
const rollout = (...args: string[]) => runCli(['rollout', ...args, ...FAST]);
const awslogs = (family: string) => ({
  logConfiguration: {
    logDriver: 'awslogs' as const,
    options: { 'awslogs-group': `/ecs/${family}`, 'awslogs-stream-prefix': family, 'awslogs-region': 'us-east-1' },
  },
});

let subnet = '';
let securityGroup = '';

/** prod/web and prod/api on Fargate in one subnet, both running acme/web:1.0; answers the source revisions. */
async function twoServices(desiredCount = 1): Promise<{ web: string; api: string }> {
  await createCluster(ecs, 'prod');
  ({ subnetId: subnet, securityGroupId: securityGroup } = await createNetwork(endpoint, { name: 'db-clients', description: 'reaches the database' }));
  const fargate = { networkMode: 'awsvpc' as const, requiresCompatibilities: ['FARGATE' as const], cpu: '256', memory: '512' };
  const web = await registerTaskDefinition(
    ecs,
    'web',
    [container('app', 'acme/web:1.0', awslogs('web')), container('proxy', 'nginx:1.25', { essential: false })],
    fargate,
  );
  const api = await registerTaskDefinition(ecs, 'api', [container('api', 'acme/web:1.0', awslogs('api'))], fargate);
  const launch = {
    desiredCount,
    launchType: 'FARGATE' as const,
    platformVersion: '1.4.0',
    networkConfiguration: { awsvpcConfiguration: { subnets: [subnet], securityGroups: [securityGroup], assignPublicIp: 'DISABLED' as const } },
  };
  await createService(ecs, 'prod', 'web', web, launch);
  await createService(ecs, 'prod', 'api', api, launch);
  return { web, api };
}

/** Every task ecs-roll started in the cluster, running or stopped, oldest first. */
async function runTasks(cluster = 'prod'): Promise<Task[]> {
  const arns: string[] = [];
  for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
    arns.push(...((await ecs.send(new ListTasksCommand({ cluster, startedBy: 'ecs-roll', desiredStatus }))).taskArns ?? []));
  }
  if (arns.length === 0) return [];
  const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns, include: ['TAGS'] }))).tasks ?? [];
  return tasks.sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
}

const runningTask = () => eventually('the run-before task to run', async () => (await runTasks()).find((task) => task.lastStatus === 'RUNNING'));

describe('rollout --run-before', () => {
  it('runs the steps in order from the new revisions, then moves the services; --json reports each task', async () => {
    const source = await twoServices();
    const run = await rollout(
      'acme/web:1.1',
      '--run-before',
      `service=web,container=app,command=bin/migrate --safe sandbox-log='migrated 3 tables' sandbox-seconds=0.3`,
      '--run-before',
      'service=prod/api,container=api,command=bin/seed sandbox-exit=0',
      '--json',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      version: number;
      runsBefore: {
        step: number;
        service: string;
        outcome: string;
        taskArn: string;
        taskDefinitionArn: string;
        exitCodes: Record<string, number>;
        durationSeconds: number;
      }[];
      services: { service: string; outcome: string; newTaskDefinitionArn: string }[];
    };
    expect(result.ok).toBe(true);
    expect(result.runsBefore.map((step) => [step.step, step.service, step.outcome])).toEqual([
      [1, 'web', 'succeeded'],
      [2, 'api', 'succeeded'],
    ]);
    expect(result.runsBefore[0]?.exitCodes).toEqual({ app: 0, proxy: 0 });
    expect(result.runsBefore[0]?.durationSeconds).toBeGreaterThanOrEqual(0);

    // The services moved to the very revisions the tasks ran.
    const webNow = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(webNow).not.toBe(source.web);
    expect(result.runsBefore[0]?.taskDefinitionArn).toBe(webNow);
    expect(result.runsBefore[1]?.taskDefinitionArn).toBe(await serviceTaskDefinition(ecs, 'prod', 'api'));

    const [first, second] = await runTasks();
    expect(first?.taskArn).toBe(result.runsBefore[0]?.taskArn);
    expect(first?.overrides?.containerOverrides).toEqual([
      { name: 'app', command: ['bin/migrate', '--safe', 'sandbox-log=migrated 3 tables', 'sandbox-seconds=0.3'] },
    ]);
    expect(first?.startedBy).toBe('ecs-roll');
    // Launched as the service launches its tasks: Fargate, its platform version, in its subnet.
    expect(first?.launchType).toBe('FARGATE');
    expect(first?.attachments?.[0]?.details?.find((detail) => detail.name === 'subnetId')?.value).toBe(subnet);
    // Its own tags link it to the rollout; the task definition's tags come along (propagateTags TASK_DEFINITION).
    expect(first?.tags?.map((tag) => tag.key)).toEqual(expect.arrayContaining(['ecs-roll:rollout-id', 'ecs-roll:run-step', 'ecs-roll:pushed-at']));
    // In order: the second started only after the first had stopped.
    expect(second?.createdAt?.getTime()).toBeGreaterThanOrEqual(first?.stoppedAt?.getTime() ?? Number.POSITIVE_INFINITY);
  });

  it('moves no service when the task exits non-zero, and shows its stop code, exit codes and log tail', async () => {
    const source = await twoServices();
    const run = await rollout(
      'acme/web:1.1',
      '--run-before',
      `service=web,container=app,command=bin/migrate sandbox-log='connecting to db' sandbox-log='ERROR: relation "users" already exists' sandbox-exit=3`,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('run-before FAILED 1. prod/web app');
    expect(run.stdout).toContain('stopped: EssentialContainerExited: Essential container in task exited');
    expect(run.stdout).toContain('app: exit code 3');
    expect(run.stdout).toMatch(/last log lines of \/ecs\/web\/web\/app\/[0-9a-f-]+:\n\s+connecting to db\n\s+ERROR: relation "users" already exists/);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source.web);
    expect(await serviceTaskDefinition(ecs, 'prod', 'api')).toBe(source.api);
    // The new revisions stay registered, unused.
    expect(await revisionCount(ecs, 'web')).toBe(2);
    expect(await revisionCount(ecs, 'api')).toBe(2);
  });

  it('fails the rollout when ECS cannot place the task (RunTask failures), changing no service', async () => {
    await createCluster(ecs, 'prod');
    await addContainerInstance(ecs, endpoint, 'prod');
    // More memory than the only instance has: RunTask answers with a RESOURCE:MEMORY failure and no task.
    const source = await registerTaskDefinition(ecs, 'big', [container('app', 'acme/web:1.0', { memory: 8000 })]);
    await createService(ecs, 'prod', 'big', source, { desiredCount: 0 });
    const run = await rollout('acme/web:1.1', '--run-before', 'service=big,container=app,command=migrate', '--json');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { runsBefore: { outcome: string; reason: string; taskArn?: string }[]; services: { outcome: string }[] };
    expect(result.runsBefore[0]).toMatchObject({ outcome: 'failed-to-start', reason: expect.stringContaining('RESOURCE:MEMORY') });
    expect(result.runsBefore[0]?.taskArn).toBeUndefined();
    expect(result.services[0]?.outcome).toBe('not-started');
    expect(await serviceTaskDefinition(ecs, 'prod', 'big')).toBe(source);
    expect(await runTasks()).toEqual([]);
  });

  it('stops the task at --run-timeout and moves no service', async () => {
    const source = await twoServices();
    const run = await rollout('acme/web:1.1', '--run-before', 'service=web,container=app,command=migrate sandbox-seconds=600', '--run-timeout', '1');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('run-before TIMED-OUT');
    const [task] = await runTasks();
    expect(task?.lastStatus).toBe('STOPPED');
    expect(task?.stopCode).toBe('UserInitiated');
    expect(task?.stoppedReason).toMatch(/did not stop within 1 s/);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source.web);
  });

  it('stops the task on Ctrl-C and exits 130, moving no service', async () => {
    const source = await twoServices();
    const { child, done } = spawnCli([
      'rollout',
      'acme/web:1.1',
      '--run-before',
      'service=web,container=app,command=migrate sandbox-seconds=600',
      ...FAST,
    ]);
    await runningTask();
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    const [task] = await runTasks();
    expect(task?.lastStatus).toBe('STOPPED');
    expect(task?.stopCode).toBe('UserInitiated');
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source.web);
  });

  it('after a crash mid-task, a re-run waits for the task already running instead of starting a second', async () => {
    const source = await twoServices();
    const args = ['rollout', 'acme/web:1.1', '--run-before', 'service=web,container=app,command=migrate sandbox-seconds=20', ...FAST];
    const first = spawnCli(args);
    const started = await runningTask();
    first.child.kill('SIGKILL');
    await first.done;
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source.web);

    const again = await runCli(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('waiting for the run-before task an earlier run started');
    const tasks = await runTasks();
    expect(tasks.map((task) => task.taskArn)).toEqual([started.taskArn]);
    expect(await revisionCount(ecs, 'web')).toBe(2);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).not.toBe(source.web);
  });

  it('after a crash once the task has exited 0, a re-run does not run it again', async () => {
    await twoServices();
    const args = ['rollout', 'acme/web:1.1', '--run-before', 'service=web,container=app,command=migrate sandbox-seconds=1', ...FAST];
    const first = spawnCli(args);
    await runningTask();
    first.child.kill('SIGKILL');
    await first.done;
    await until('the task exited', async () => (await runTasks())[0]?.lastStatus === 'STOPPED');

    const again = await runCli([...args, '--json']);
    expect(again.code).toBe(0);
    const result = JSON.parse(again.stdout) as { runsBefore: { outcome: string }[] };
    expect(result.runsBefore[0]?.outcome).toBe('already-succeeded');
    expect(await runTasks()).toHaveLength(1);
  });

  it('refuses a spec naming a service the image does not run, before any change (exit 2)', async () => {
    await twoServices();
    await registerTaskDefinition(ecs, 'other', [container('app', 'acme/other:1.0')]).then((arn) => createService(ecs, 'prod', 'other', arn));
    await sandbox.clearCalls();
    const run = await rollout('acme/web:1.1', '--run-before', 'service=other,container=app,command=migrate');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('service other does not run this image');
    const actions = (await sandbox.calls()).map((call) => call.action);
    expect(actions).not.toContain('RegisterTaskDefinition');
    expect(actions).not.toContain('RunTask');
    expect(actions).not.toContain('UpdateService');

    // A malformed spec costs no AWS call at all.
    await sandbox.clearCalls();
    const malformed = await rollout('acme/web:1.1', '--run-before', 'service=web,command=migrate');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('container is missing');
    expect(await sandbox.calls()).toEqual([]);
  });

  it('--dry-run shows the run step: revision, cluster, launch, network and command', async () => {
    await twoServices();
    const run = await rollout('acme/web:1.1', '--dry-run', '--run-before', `service=web,container=app,command=bin/migrate --name 'a b'`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `run      1. app in the new web revision, cluster prod (FARGATE 1.4.0; subnets ${subnet}, security groups ${securityGroup}): bin/migrate --name 'a b'`,
    );
    expect(await runTasks()).toEqual([]);
    expect(await revisionCount(ecs, 'web')).toBe(1);
  });
});

describe('run-before in webhook mode (the packaged worker)', () => {
  const packaged = usePackagedHandler();

  const work = (image: string, specs: string[]) =>
    callPackagedHandler<{ ok: boolean }>(packaged.folder, 'work', pushJob(image, Date.now() / 1000), {
      ECS_ROLL_TOKEN_SHA256: hashToken('t'.repeat(43)),
      ECS_ROLL_REPOS: 'acme/web,acme/other',
      ECS_ROLL_POLL_INTERVAL: '0.2',
      ECS_ROLL_TIMEOUT: '60',
      ECS_ROLL_RUN_BEFORE: JSON.stringify(specs),
      AWS_ENDPOINT_URL_ECS: endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoint,
    });

  it('runs the configured steps for every push, and moves nothing when one fails', async () => {
    const source = await twoServices();
    const specs = ['service=other,container=app,command=never-run', 'service=web,container=app,command=migrate sandbox-exit=0'];
    await registerTaskDefinition(ecs, 'other', [container('app', 'acme/other:1.0')]).then((arn) =>
      createService(ecs, 'prod', 'other', arn, { desiredCount: 0 }),
    );

    const ok = await work('acme/web:1.1', specs);
    expect(ok.result.ok).toBe(true);
    // The spec for a service this image does not run is left out, not refused.
    expect((await runTasks()).map((task) => task.overrides?.containerOverrides?.[0]?.command)).toEqual([['migrate', 'sandbox-exit=0']]);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).not.toBe(source.web);
    expect(ok.logs.some((line) => line.event === 'run-finished')).toBe(true);

    const moved = await serviceTaskDefinition(ecs, 'prod', 'web');
    const failing = await work('acme/web:1.2', ['service=web,container=app,command=migrate sandbox-exit=2']);
    expect(failing.result.ok).toBe(false);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(moved);
  });
});

describe('install --run-before', () => {
  const policyOf = async (...args: string[]) => {
    const run = await runCli(['install', '--repo', 'acme/web', '--dry-run', '--json', ...args, '--endpoint-url', endpoint]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      policy: { document: { Statement: { Sid: string; Action: string | string[]; Resource: string | string[] }[] } };
    };
    return report.policy.document.Statement;
  };

  it('adds RunTask on the families running the repositories and tagging at launch only when asked; their log groups are readable either way', async () => {
    await twoServices(0);
    const without = await policyOf();
    expect(without.flatMap((statement) => statement.Action)).not.toContain('ecs:RunTask');
    // The diagnosis of any failed push reads the failed containers' log tails, so the groups are always readable.
    expect(without.find((statement) => statement.Sid === 'ReadTaskLogs')?.Resource).toEqual([
      'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/api:log-stream:*',
      'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/web:log-stream:*',
    ]);

    const withRuns = await policyOf('--run-before', 'service=web,container=app,command=bin/migrate');
    const bySid = Object.fromEntries(withRuns.map((statement) => [statement.Sid, statement]));
    expect(bySid.EcsRunBeforeTask?.Resource).toEqual([
      'arn:aws:ecs:us-east-1:123456789012:task-definition/api:*',
      'arn:aws:ecs:us-east-1:123456789012:task-definition/web:*',
    ]);
    expect(bySid.EcsTagRunBeforeTask?.Action).toBe('ecs:TagResource');
    expect(bySid.ReadTaskLogs?.Resource).toEqual([
      'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/api:log-stream:*',
      'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/web:log-stream:*',
    ]);

    // A malformed spec is refused before any AWS call.
    const bad = await runCli(['install', '--repo', 'acme/web', '--run-before', 'migrate', '--dry-run', '--endpoint-url', endpoint]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"migrate" is not key=value');
  });
});
