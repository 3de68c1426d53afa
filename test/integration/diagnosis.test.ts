// Why a rollout failed, for each cause the sandbox produces the way ECS does (test/sandbox/failure_modes.py):
// the built CLI's text block and its --json `diagnosis`, and the GitHub Actions step summary.
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, type ContainerDefinition, type CreateServiceCommandInput } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { addContainerInstance, createNetwork } from '../sandbox/ec2.js';
import { createTargetGroup, elbClient, targetHealth, targetStates } from '../elb.js';
import { container, createCluster, createService, registerTaskDefinition, runCli, type CliRun } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();
const elb = elbClient(endpoint);

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
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': '/ecs/web', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' },
    },
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
  const document = JSON.parse(json.stdout) as {
    version: number;
    kind: string;
    services: { service: string; outcome: string; diagnosis?: Diagnosis }[];
  };
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
    expect(diagnosis.evidence[0]?.text).toMatch(
      /ResourceInitializationError: unable to pull secrets or registry auth.*failed to fetch secret \[redacted\]/,
    );
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

/**
 * A Fargate service behind an ip target group (checked every 5 ECS seconds) on web:1, its first deployment
 * completed and its target healthy. An ECS second lasts 40 ms here (test/sandbox/elb_health.py).
 */
async function loadBalancedService(healthCheckGracePeriodSeconds?: number): Promise<string> {
  await sandbox.config({ tick: 0.05, ecsTimeFactor: 0.04 });
  await createCluster(ecs, 'prod');
  const { vpcId, subnetId, securityGroupId } = await createNetwork(endpoint);
  const targetGroupArn = await createTargetGroup(elb, { name: 'web', vpcId, port: 8080, targetType: 'ip' });
  const taskDefinition = await registerTaskDefinition(ecs, 'web', [webContainer('acme/web:1.0', { portMappings: [{ containerPort: 8080 }] })], {
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
  });
  await createService(ecs, 'prod', 'web', taskDefinition, {
    desiredCount: 1,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: [subnetId], securityGroups: [securityGroupId] } },
    loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 8080 }],
    ...(healthCheckGracePeriodSeconds === undefined ? {} : { healthCheckGracePeriodSeconds }),
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
  });
  for (let attempt = 0; ; attempt += 1) {
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
    const states = await targetStates(elb, targetGroupArn);
    if (service?.deployments?.[0]?.rolloutState === 'COMPLETED' && states.length === 1 && states[0] === 'healthy') break;
    if (attempt > 300) throw new Error('the first deployment never completed with a healthy target');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return targetGroupArn;
}

describe('a load-balanced service whose new version fails its ELB health check (fail-health behind a target group)', () => {
  it('health-check from target health: the target is unhealthy with Target.ResponseCodeMismatch at the deadline', async () => {
    // A grace period longer than the rollout's deadline: ECS leaves the unhealthy task running, so its target
    // is still there to report why.
    const targetGroupArn = await loadBalancedService(600);
    const json = await rollout(['acme/web:fail-health-1', '--json', '--timeout', '3', '--no-rollback']);
    expect(json.code, json.stderr).toBe(1);
    const web = (JSON.parse(json.stdout) as { services: { outcome: string; diagnosis?: Diagnosis }[] }).services[0];
    expect(web?.outcome).toBe('timed-out');
    expect(web?.diagnosis?.cause).toBe('health-check');
    expect(web?.diagnosis?.summary).toBe('Tasks failed their load balancer health checks (Target.ResponseCodeMismatch).');
    expect(web?.diagnosis?.evidence[0]?.source).toBe('target-health');
    expect(web?.diagnosis?.evidence[0]?.text).toMatch(
      /^\d+\.\d+\.\d+\.\d+:8080 in targetgroup\/web\/[0-9a-f]+: unhealthy \(Target\.ResponseCodeMismatch\): Health checks failed with these codes: \[500\]$/,
    );
    // What the diagnosis quoted is what the target group says.
    expect((await targetHealth(elb, targetGroupArn)).map((description) => description.TargetHealth)).toContainEqual({
      State: 'unhealthy',
      Reason: 'Target.ResponseCodeMismatch',
      Description: 'Health checks failed with these codes: [500]',
    });

    const text = await rollout(['acme/web:fail-health-2', '--timeout', '3', '--no-rollback']);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/cause: health-check: Tasks failed their load balancer health checks \(Target\.ResponseCodeMismatch\)/);
    expect(text.stdout).toMatch(/unhealthy \(Target\.ResponseCodeMismatch\): Health checks failed with these codes: \[500\]/);
    for (const output of [json.stdout, text.stdout]) expect(output).not.toContain('hunter2');
  });

  it('health-check when ECS stops the tasks and the circuit breaker rolls back: the stop reason and the unhealthy event', async () => {
    await loadBalancedService();
    const { diagnosis, text } = await diagnose('acme/web:fail-health-1');
    expect(diagnosis.cause).toBe('health-check');
    expect(diagnosis.evidence[0]).toMatchObject({ source: 'stopped-task' });
    expect(diagnosis.evidence[0]?.text).toMatch(
      /ServiceSchedulerInitiated: Task failed ELB health checks in \(target-group arn:aws:elasticloadbalancing:/,
    );
    const event = diagnosis.evidence.find((item) => item.source === 'service-event');
    expect(event?.text).toMatch(
      /\(port 8080\) is unhealthy in \(target-group arn:aws:elasticloadbalancing:.*\) due to \(reason Health checks failed with these codes: \[500\]\)/,
    );
    expect(text).toMatch(/cause: health-check: Tasks failed their load balancer health checks/);
    expect(text).toMatch(/Health checks failed with these codes: \[500\]/);
  });
});

describe('a failure no rule knows', () => {
  it('unknown: CannotStartContainerError (fail-start) is shown as ECS reported it, with no guess', async () => {
    await fargateService();
    const { diagnosis, text } = await diagnose('acme/web:fail-start-1');
    expect(diagnosis.cause).toBe('unknown');
    expect(diagnosis.summary).toBe('The deployment failed for a reason ecs-roll does not recognise.');
    expect(diagnosis.hint).toBe('No known failure pattern in what ECS reported; the evidence above is all there was.');
    const texts = diagnosis.evidence.map((item) => `${item.source}: ${item.text}`);
    // The deployment's own line names the circuit breaker: from the FAILED deployment, or, when ECS has already
    // rolled back and dropped it between two polls (a loaded machine stretches 0.2 s polls to seconds), from ECS's
    // record of that deployment (gone-deployment.test.ts forces that case).
    expect(texts).toContainEqual(expect.stringMatching(/^deployment: .*circuit breaker/));
    expect(texts).toContainEqual(
      expect.stringMatching(/^stopped-task: task [0-9a-f-]+: TaskFailedToStart: CannotStartContainerError: .*permission denied/),
    );
    expect(diagnosis.logTail).toBeUndefined();
    expect(text).toMatch(/cause: unknown: The deployment failed for a reason ecs-roll does not recognise\./);
    expect(text).toMatch(/CannotStartContainerError: Error response from daemon/);
    // No cause that would send someone the wrong way.
    for (const guess of ['image-pull', 'secrets-or-iam', 'container-exit', 'no-capacity', 'out-of-memory'])
      expect(text).not.toContain(`cause: ${guess}`);
  });
});
