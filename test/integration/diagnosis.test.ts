// Why a rollout failed, for each cause the sandbox produces the way ECS does (test/sandbox/failure_modes.py):
// the built CLI's text block and its --json `diagnosis`, and the GitHub Actions step summary.
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ContainerDefinition, type CreateServiceCommandInput, type ECSClient } from '@aws-sdk/client-ecs';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { sandboxControl } from '../sandbox/client.js';
import { addContainerInstance } from '../sandbox/ec2.js';
import { container, createCluster, createService, ecsClient, registerTaskDefinition, runCli, type CliRun } from './helpers.js';

const endpoint = inject('sandboxEndpoint');
const sandbox = sandboxControl(endpoint);
let ecs: ECSClient;

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-password-AbCdEf';
const ENV_VALUE = 'postgres://app:hunter2-very-secret@db.internal/app';

interface Diagnosis {
  cause: string;
  summary: string;
  hint: string;
  evidence: { source: string; text: string }[];
  logTail?: { container: string; lines: string[] }[];
}

const rollout = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
  runCli(['rollout', ...args, '--poll-interval', '0.2', '--endpoint-url', endpoint], { env });

function webContainer(image: string, extra: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return container('web', image, {
    environment: [{ name: 'DATABASE_URL', value: ENV_VALUE }],
    secrets: [{ name: 'DB_PASSWORD', valueFrom: SECRET_ARN }],
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' } },
    healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'], interval: 5, retries: 2 },
    ...extra,
  });
}

async function fargateService(extra: Partial<CreateServiceCommandInput> = {}): Promise<void> {
  await createCluster(ecs, 'prod');
  const taskDefinition = await registerTaskDefinition(ecs, 'web', [webContainer('acme/web:1.0')]);
  await createService(ecs, 'prod', 'web', taskDefinition, {
    desiredCount: 1,
    launchType: 'FARGATE',
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    ...extra,
  });
  await new Promise((resolve) => setTimeout(resolve, 800));
}

/** Runs the failing rollout as --json and as text; both must name the same cause and never print a secret. */
async function diagnose(image: string, extraArgs: string[] = []): Promise<{ diagnosis: Diagnosis; text: string; json: string }> {
  const json = await rollout([image, '--json', '--timeout', '20', ...extraArgs]);
  expect(json.code, json.stderr).toBe(1);
  const document = JSON.parse(json.stdout) as { version: number; kind: string; services: { service: string; outcome: string; diagnosis?: Diagnosis }[] };
  expect(document).toMatchObject({ kind: 'rollout-result', version: 2 });
  const web = document.services.find((service) => service.service === 'web');
  expect(web?.diagnosis, json.stdout).toBeDefined();
  const text = await rollout([image.replace(/(\d)$/, '$1-again'), '--timeout', '20', ...extraArgs]);
  expect(text.code, text.stderr).toBe(1);
  for (const output of [json.stdout, text.stdout, json.stderr, text.stderr]) {
    expect(output).not.toContain(SECRET_ARN);
    expect(output).not.toContain(ENV_VALUE);
    expect(output).not.toContain('hunter2');
  }
  return { diagnosis: web?.diagnosis as Diagnosis, text: text.stdout, json: json.stdout };
}

beforeAll(() => {
  ecs = ecsClient(endpoint);
});

beforeEach(async () => {
  await sandbox.reset();
});

describe('a failed rollout says why', () => {
  it('image-pull: CannotPullContainerError, stopCode TaskFailedToStart', async () => {
    await fargateService();
    const { diagnosis, text } = await diagnose('acme/web:fail-pull-1');
    expect(diagnosis.cause).toBe('image-pull');
    expect(diagnosis.evidence[0]).toMatchObject({ source: 'stopped-task' });
    expect(diagnosis.evidence[0]?.text).toMatch(/TaskFailedToStart: CannotPullContainerError: .*docker\.io\/acme\/web:fail-pull-1: not found/);
    expect(diagnosis.logTail).toBeUndefined();
    expect(text).toMatch(/cause: image-pull: Tasks could not pull the image/);
    expect(text).toMatch(/hint: Check that the tag exists/);
  });

  it('out-of-memory: exit 137 with OutOfMemoryError, and the log tail', async () => {
    await fargateService();
    const { diagnosis, text } = await diagnose('acme/web:fail-oom-1');
    expect(diagnosis.cause).toBe('out-of-memory');
    expect(diagnosis.summary).toBe('Container web was killed for using more memory than it may (exit 137).');
    expect(diagnosis.evidence[0]?.text).toMatch(/container web, exit 137, OutOfMemoryError: Container killed due to memory usage/);
    expect(diagnosis.logTail?.[0]?.lines).toContain('warming the cache: 500000 entries');
    expect(text).toMatch(/cause: out-of-memory/);
  });

  it('container-exit: exit 1 with the last lines of its awslogs stream', async () => {
    await fargateService();
    const { diagnosis, text } = await diagnose('acme/web:fail-exit1-1');
    expect(diagnosis.cause).toBe('container-exit');
    expect(diagnosis.summary).toBe('Essential container web exited with code 1.');
    const tail = diagnosis.logTail?.[0];
    expect(tail?.container).toBe('web');
    expect(tail?.lines.at(-1)).toBe('fatal: could not connect to the database; exiting with code 1');
    expect(tail?.lines.length).toBeLessThanOrEqual(20);
    expect(text).toMatch(/last 6 log lines of web:/);
    expect(text).toMatch(/│ Error: connect ECONNREFUSED 10\.0\.3\.17:5432/);
  });

  it('health-check: a container health check UNHEALTHY, replaced by the scheduler', async () => {
    await fargateService();
    const { diagnosis, text } = await diagnose('acme/web:fail-health-1');
    expect(diagnosis.cause).toBe('health-check');
    expect(diagnosis.evidence.map((item) => item.text).join('\n')).toMatch(/Task failed container health checks/);
    expect(text).toMatch(/cause: health-check/);
  });

  it('secrets-or-iam: ResourceInitializationError for a missing secret, its ARN masked', async () => {
    await fargateService();
    const { diagnosis, text } = await diagnose('acme/web:fail-secret-1');
    expect(diagnosis.cause).toBe('secrets-or-iam');
    expect(diagnosis.evidence[0]?.text).toMatch(/ResourceInitializationError: unable to pull secrets or registry auth.*failed to fetch secret \[redacted\]/);
    expect(text).toMatch(/cause: secrets-or-iam/);
  });

  it('no-capacity: unable to place a task, until the deadline', async () => {
    await createCluster(ecs, 'prod');
    await addContainerInstance(ecs, endpoint, 'prod');
    const taskDefinition = await registerTaskDefinition(ecs, 'web', [webContainer('acme/web:1.0')], { cpu: '1024', memory: '4096' });
    await createService(ecs, 'prod', 'web', taskDefinition, {
      desiredCount: 1,
      launchType: 'EC2',
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
    });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const json = await rollout(['acme/web:1.1', '--json', '--timeout', '3']);
    expect(json.code).toBe(1);
    const web = (JSON.parse(json.stdout) as { services: { diagnosis?: Diagnosis }[] }).services[0];
    expect(web?.diagnosis?.cause).toBe('no-capacity');
    expect(web?.diagnosis?.evidence[0]).toMatchObject({ source: 'service-event' });
    expect(web?.diagnosis?.evidence[0]?.text).toMatch(/was unable to place a task because no container instance met all of its requirements/);
    const text = await rollout(['acme/web:1.2', '--timeout', '3']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/cause: no-capacity/);
  });

  it('timeout: still in progress at the deadline, with nothing more telling', async () => {
    await fargateService();
    await sandbox.config({ paused: true });
    const json = await rollout(['acme/web:1.1', '--json', '--timeout', '2', '--no-rollback']);
    expect(json.code).toBe(1);
    const web = (JSON.parse(json.stdout) as { services: { outcome: string; diagnosis?: Diagnosis }[] }).services[0];
    expect(web?.outcome).toBe('timed-out');
    expect(web?.diagnosis).toMatchObject({ cause: 'timeout', evidence: [{ source: 'deployment' }] });
    const text = await rollout(['acme/web:1.2', '--timeout', '2', '--no-rollback']);
    expect(text.stdout).toMatch(/cause: timeout: The deployment was still in progress at the deadline/);
  });

  it('appends a Markdown summary to $GITHUB_STEP_SUMMARY', async () => {
    await fargateService();
    const file = join(tmpdir(), `ecs-roll-summary-${process.pid}.md`);
    await rm(file, { force: true });
    await sandbox.clearCalls();
    const run = await rollout(['acme/web:fail-exit1-9', '--timeout', '20'], { GITHUB_STEP_SUMMARY: file });
    expect(run.code).toBe(1);
    // The diagnosis's reads, as the sandbox counted them: one of each (rolling waits never list tasks).
    const calls = (await sandbox.calls()).map((call) => call.action);
    expect(calls.filter((action) => action === 'ListTasks')).toHaveLength(1);
    expect(calls.filter((action) => action === 'DescribeTasks')).toHaveLength(1);
    expect(calls.filter((action) => action === 'GetLogEvents')).toHaveLength(1);
    const markdown = await readFile(file, 'utf8');
    await rm(file, { force: true });
    expect(markdown).toContain('| service | from → to | outcome | cause |');
    expect(markdown).toMatch(/\| prod\/web \| web:1 → web:2 \| rolled-back \| container-exit \|/);
    expect(markdown).not.toContain(SECRET_ARN);
  });
});
