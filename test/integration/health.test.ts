// Health-gated replace: a replacement counts toward minimumHealthyPercent only when ECS would count it, healthy
// in its target group (test/sandbox/elb_health.py models ELB target health and container health checks).
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { until } from '../eventually.js';
import { addContainerInstance, createNetwork } from '../sandbox/ec2.js';
import { createTargetGroup, elbClient, targetHealth, targetStates } from '../elb.js';
import { container, createCluster, createService, registerTaskDefinition, runCli, serviceTaskDefinition } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();
// An ECS second lasts 40 ms: a target needs 5 × 5 s = 25 ECS s (1 s here) to turn healthy, a task 1 tick to run.
it.override({ sandboxConfig: { tick: 0.05, ecsTimeFactor: 0.04 } });
const elb = elbClient(endpoint);

const rollout = (...args: string[]) => runCli(['rollout', ...args, '--endpoint-url', endpoint, '--poll-interval', '0.2']);

function fourHealthyTargets(targetGroupArn: string): Promise<void> {
  return until('the first four targets are healthy', async () => {
    const states = await targetStates(elb, targetGroupArn);
    return states.length === 4 && states.every((state) => state === 'healthy');
  });
}

function firstDeploymentCompleted(): Promise<void> {
  return until('the first deployment completed', async () => {
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
    return service?.deployments?.[0]?.rolloutState === 'COMPLETED';
  });
}

describe('--strategy replace on a load-balanced service whose targets take longer to turn healthy than tasks to start', () => {
  it('never lets the healthy tasks fall below minimumHealthyPercent, and finishes', async () => {
    await createCluster(ecs, 'prod');
    // One container instance holds exactly four of these tasks: ECS alone cannot start a fifth.
    await addContainerInstance(ecs, endpoint, 'prod');
    const { vpcId, subnetId, securityGroupId } = await createNetwork(endpoint);
    const targetGroupArn = await createTargetGroup(elb, { name: 'web', vpcId, port: 8080, targetType: 'ip' });
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0', { portMappings: [{ containerPort: 8080 }] })], {
      networkMode: 'awsvpc',
      cpu: '1024',
      memory: '1870',
    });
    await createService(ecs, 'prod', 'web', source, {
      desiredCount: 4,
      launchType: 'EC2',
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnetId], securityGroups: [securityGroupId] } },
      loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 8080 }],
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
    });
    await fourHealthyTargets(targetGroupArn);
    await firstDeploymentCompleted();
    const startOfRollout = (await sandbox.record()).length;

    const run = await rollout('acme/web:1.1', '--strategy', 'replace', '--timeout', '90', '--json');
    expect(run.code, run.stderr).toBe(0);
    const target = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(target).toMatch(/\/web:2$/);

    const record = ((await sandbox.record()) as unknown as { service: string; running: number; healthy: number; t: number }[])
      .slice(startOfRollout)
      .filter((entry) => entry.service === 'web');
    expect(record.length).toBeGreaterThan(0);
    // The floor, ceil(4 × 50%) = 2, held at every tick the sandbox recorded.
    expect(Math.min(...record.map((entry) => entry.healthy))).toBeGreaterThanOrEqual(2);
    // And the case was real: replacements ran for a while before their targets were healthy.
    expect(record.some((entry) => entry.running > entry.healthy)).toBe(true);
    const healthy = (await targetHealth(elb, targetGroupArn)).filter((description) => description.TargetHealth?.State === 'healthy');
    expect(healthy).toHaveLength(4);
  });
});

describe('--strategy replace on a bridge-mode service behind an `instance` target group (dynamic host ports)', () => {
  it('matches each target by instance id and host port, never lets the healthy tasks fall below the floor, and finishes', async () => {
    await createCluster(ecs, 'prod');
    // One container instance holds exactly four of these tasks; their targets share its EC2 id, told apart by port.
    await addContainerInstance(ecs, endpoint, 'prod');
    const { vpcId } = await createNetwork(endpoint);
    const targetGroupArn = await createTargetGroup(elb, { name: 'web-bridge', vpcId, port: 80, targetType: 'instance' });
    const source = await registerTaskDefinition(
      ecs,
      'web',
      [container('web', 'acme/web:1.0', { portMappings: [{ containerPort: 8080, hostPort: 0 }] })],
      {
        networkMode: 'bridge',
        cpu: '1024',
        memory: '1870',
      },
    );
    await createService(ecs, 'prod', 'web', source, {
      desiredCount: 4,
      launchType: 'EC2',
      loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 8080 }],
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
    });
    await fourHealthyTargets(targetGroupArn);
    const before = await targetHealth(elb, targetGroupArn);
    const instanceIds = new Set(before.map((description) => description.Target?.Id));
    const ports = new Set(before.map((description) => description.Target?.Port));
    expect(instanceIds.size).toBe(1);
    expect([...instanceIds][0]).toMatch(/^i-/);
    expect(ports.size).toBe(4);
    await firstDeploymentCompleted();
    const startOfRollout = (await sandbox.record()).length;

    const run = await rollout('acme/web:1.1', '--strategy', 'replace', '--timeout', '90', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toMatch(/\/web:2$/);
    // replace stopped old tasks itself (ECS alone could not start a fifth task on the full instance).
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'prod', desiredStatus: 'STOPPED' }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: stopped.taskArns ?? [] }));
    expect((described.tasks ?? []).filter((task) => task.stoppedReason?.startsWith('ecs-roll: replacing with web:2')).length).toBeGreaterThan(0);

    const record = ((await sandbox.record()) as unknown as { service: string; running: number; healthy: number }[])
      .slice(startOfRollout)
      .filter((entry) => entry.service === 'web');
    expect(record.length).toBeGreaterThan(0);
    expect(Math.min(...record.map((entry) => entry.healthy))).toBeGreaterThanOrEqual(2);
    expect(record.some((entry) => entry.running > entry.healthy)).toBe(true);
  });
});

describe('--strategy replace on a service whose container health check passes only after its start period', () => {
  it('stops old tasks only once replacements are HEALTHY, never below the floor', async () => {
    await createCluster(ecs, 'prod');
    await addContainerInstance(ecs, endpoint, 'prod');
    const healthCheck = { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 5, startPeriod: 25, retries: 3 };
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0', { healthCheck })], { cpu: '1024', memory: '1870' });
    await createService(ecs, 'prod', 'web', source, {
      desiredCount: 4,
      launchType: 'EC2',
      deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
    });
    await firstDeploymentCompleted();
    const startOfRollout = (await sandbox.record()).length;

    const run = await rollout('acme/web:1.1', '--strategy', 'replace', '--timeout', '90');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toMatch(/\/web:2$/);
    const record = ((await sandbox.record()) as unknown as { service: string; running: number; healthy: number }[])
      .slice(startOfRollout)
      .filter((entry) => entry.service === 'web');
    expect(Math.min(...record.map((entry) => entry.healthy))).toBeGreaterThanOrEqual(2);
    expect(record.some((entry) => entry.running > entry.healthy)).toBe(true);
  });
});
