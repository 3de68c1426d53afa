// Health-gated replace: a replacement counts toward minimumHealthyPercent only when ECS would count it, healthy
// in its target group (test/sandbox/elb_health.py models ELB target health and container health checks).
import { CreateTargetGroupCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { addContainerInstance } from '../sandbox/ec2.js';
import { container, createCluster, createService, REGION, registerTaskDefinition, runCli, serviceTaskDefinition } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();
// An ECS second lasts 40 ms: a target needs 5 × 5 s = 25 ECS s (1 s here) to turn healthy, a task 1 tick to run.
it.override({ sandboxConfig: { tick: 0.05, ecsTimeFactor: 0.04 } });
let elb: ElasticLoadBalancingV2Client;

const rollout = (...args: string[]) => runCli(['rollout', ...args, '--endpoint-url', endpoint, '--poll-interval', '0.2']);

beforeAll(() => {
  elb = new ElasticLoadBalancingV2Client({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});

async function ec2(action: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Action: action, Version: '2016-11-15', ...params }),
  });
  return response.text();
}

async function network(): Promise<{ vpcId: string; subnetId: string; securityGroupId: string }> {
  const vpcId = /<vpcId>(vpc-[0-9a-f]+)<\/vpcId>/.exec(await ec2('CreateVpc', { CidrBlock: '10.0.0.0/16' }))?.[1] ?? '';
  const subnetId = /<subnetId>(subnet-[0-9a-f]+)<\/subnetId>/.exec(await ec2('CreateSubnet', { VpcId: vpcId, CidrBlock: '10.0.1.0/24' }))?.[1] ?? '';
  expect(subnetId).toMatch(/^subnet-/);
  const securityGroupId =
    /<groupId>(sg-[0-9a-f]+)<\/groupId>/.exec(await ec2('CreateSecurityGroup', { GroupName: 'web', GroupDescription: 'web', VpcId: vpcId }))?.[1] ??
    '';
  return { vpcId, subnetId, securityGroupId };
}

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('--strategy replace on a load-balanced service whose targets take longer to turn healthy than tasks to start', () => {
  it('never lets the healthy tasks fall below minimumHealthyPercent, and finishes', async () => {
    await createCluster(ecs, 'prod');
    // One container instance holds exactly four of these tasks: ECS alone cannot start a fifth.
    await addContainerInstance(ecs, endpoint, 'prod');
    const { vpcId, subnetId, securityGroupId } = await network();
    const group = await elb.send(
      new CreateTargetGroupCommand({
        Name: 'web',
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: vpcId,
        TargetType: 'ip',
        HealthCheckIntervalSeconds: 5,
        HealthyThresholdCount: 5,
      }),
    );
    const targetGroupArn = group.TargetGroups?.[0]?.TargetGroupArn ?? '';
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
    await waitUntil('the first four targets are healthy', async () => {
      const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
      const states = (health.TargetHealthDescriptions ?? []).map((description) => description.TargetHealth?.State);
      return states.length === 4 && states.every((state) => state === 'healthy');
    });
    await waitUntil('the first deployment completed', async () => {
      const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
      return service?.deployments?.[0]?.rolloutState === 'COMPLETED';
    });
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
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    const healthy = (health.TargetHealthDescriptions ?? []).filter((description) => description.TargetHealth?.State === 'healthy');
    expect(healthy).toHaveLength(4);
  });
});

describe('--strategy replace on a bridge-mode service behind an `instance` target group (dynamic host ports)', () => {
  it('matches each target by instance id and host port, never lets the healthy tasks fall below the floor, and finishes', async () => {
    await createCluster(ecs, 'prod');
    // One container instance holds exactly four of these tasks; their targets share its EC2 id, told apart by port.
    await addContainerInstance(ecs, endpoint, 'prod');
    const { vpcId } = await network();
    const group = await elb.send(
      new CreateTargetGroupCommand({
        Name: 'web-bridge',
        Protocol: 'HTTP',
        Port: 80,
        VpcId: vpcId,
        TargetType: 'instance',
        HealthCheckIntervalSeconds: 5,
        HealthyThresholdCount: 5,
      }),
    );
    const targetGroupArn = group.TargetGroups?.[0]?.TargetGroupArn ?? '';
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
    await waitUntil('the first four targets are healthy', async () => {
      const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
      const states = (health.TargetHealthDescriptions ?? []).map((description) => description.TargetHealth?.State);
      return states.length === 4 && states.every((state) => state === 'healthy');
    });
    const before = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    const instanceIds = new Set((before.TargetHealthDescriptions ?? []).map((description) => description.Target?.Id));
    const ports = new Set((before.TargetHealthDescriptions ?? []).map((description) => description.Target?.Port));
    expect(instanceIds.size).toBe(1);
    expect([...instanceIds][0]).toMatch(/^i-/);
    expect(ports.size).toBe(4);
    await waitUntil('the first deployment completed', async () => {
      const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
      return service?.deployments?.[0]?.rolloutState === 'COMPLETED';
    });
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
    await waitUntil('the first deployment completed', async () => {
      const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
      return service?.deployments?.[0]?.rolloutState === 'COMPLETED';
    });
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
