// ECS-native BLUE_GREEN, LINEAR and CANARY deployments (test/sandbox/strategies.py runs them as ECS does):
// replace is refused before any change, waiting follows the stages through the bake, ECS's own rollback is
// reported as such, and deployment alarms fail the deployment.
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ListServiceDeploymentsCommand, type DeploymentConfiguration } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { it, sandboxFile } from './fixtures.js';
import { container, createCluster, createService, REGION, registerTaskDefinition, revisionCount, runCli, serviceTaskDefinition } from './helpers.js';

const { endpoint, sandbox, ecs } = sandboxFile();
// An ECS minute lasts 0.6 s here.
it.override({ sandboxConfig: { tick: 0.05, ecsTimeFactor: 0.01 } });

const rollout = (...args: string[]) => runCli(['rollout', ...args, '--endpoint-url', endpoint, '--poll-interval', '0.2']);

async function stagedService(configuration: DeploymentConfiguration, desiredCount = 2): Promise<string> {
  await createCluster(ecs, 'prod');
  const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
  await createService(ecs, 'prod', 'web', source, { desiredCount, deploymentConfiguration: configuration });
  // The first deployment has no blue side: ECS simply starts the tasks.
  for (let i = 0; i < 100; i += 1) {
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
    if (service?.deployments?.[0]?.rolloutState === 'COMPLETED') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return source;
}

function resultOf(stdout: string) {
  return JSON.parse(stdout) as { ok: boolean; services: { service: string; outcome: string; reason?: string }[] };
}

describe('a BLUE_GREEN service', () => {
  it('refuses --strategy replace with exit 2, saying why, and changes nothing', async () => {
    const source = await stagedService({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1 });
    const run = await rollout('acme/web:1.1', '--strategy', 'replace');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--strategy replace cannot move prod\/web \(BLUE_GREEN\)/);
    expect(await revisionCount(ecs, 'web')).toBe(1);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
  });

  it('waits through the stages and the bake, with the default timeout grown by the bake, and ends COMPLETED', async () => {
    await stagedService({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 2 });
    const run = await rollout('acme/web:1.1');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/ECS BLUE_GREEN deployment; ECS waits 120 s on purpose/);
    // 1800 s plus the 120 s bake is the run's budget; the wait gets half of it, the rest is kept for a rollback.
    expect(run.stdout).toMatch(/timeout 960 s/);
    expect(run.stdout).toMatch(/stage BAKE_TIME/);
    const target = await serviceTaskDefinition(ecs, 'prod', 'web');
    expect(target).toMatch(/\/web:2$/);

    const service = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))).services?.[0];
    expect(service?.deployments).toEqual([expect.objectContaining({ taskDefinition: target, rolloutState: 'COMPLETED' })]);
    const deployments = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web' }));
    expect(deployments.serviceDeployments?.map((deployment) => deployment.status)).toContain('SUCCESSFUL');
    // Both sides ran in full during the bake; blue was scaled in only after it.
    const record = (await sandbox.record()) as unknown as { stage?: string; running: number; desired: number }[];
    const baking = record.filter((entry) => entry.stage === 'BAKE_TIME');
    expect(baking.length).toBeGreaterThan(0);
    expect(baking.every((entry) => entry.running === 2 * entry.desired)).toBe(true);
  });

  it('a green side that fails is rolled back by ECS, reported as such, and ecs-roll does not roll back again', async () => {
    const source = await stagedService({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1 });
    await sandbox.clearCalls();
    const run = await rollout('acme/web:broken-1', '--json');
    expect(run.code).toBe(1);
    const web = resultOf(run.stdout).services.find((service) => service.service === 'web');
    expect(web?.outcome).toBe('rolled-back');
    expect(web?.reason).toMatch(/ECS rolled it back to web:1/);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
    const updates = (await sandbox.calls()).filter((call) => call.action === 'UpdateService');
    expect(updates).toHaveLength(1);
    const deployments = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web' }));
    expect(deployments.serviceDeployments?.map((deployment) => deployment.status)).toContain('ROLLBACK_SUCCESSFUL');
  });

  it('a deployment alarm in ALARM fails the deployment; ECS rolls it back', async () => {
    const cloudwatch = new CloudWatchClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'web-5xx',
        MetricName: 'HTTPCode_Target_5XX_Count',
        Namespace: 'AWS/ApplicationELB',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    const source = await stagedService({
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 1,
      alarms: { alarmNames: ['web-5xx'], enable: true, rollback: true },
    });
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'web-5xx', StateValue: 'ALARM', StateReason: 'errors' }));
    const run = await rollout('acme/web:1.1', '--json');
    cloudwatch.destroy();
    expect(run.code).toBe(1);
    const web = resultOf(run.stdout).services.find((service) => service.service === 'web');
    expect(web?.outcome).toBe('rolled-back');
    expect(web?.reason).toMatch(/alarm web-5xx/);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toBe(source);
  });
});

describe('LINEAR and CANARY services', () => {
  it.each([
    ['LINEAR', { strategy: 'LINEAR', linearConfiguration: { stepPercent: 50, stepBakeTimeInMinutes: 1 } }, 60],
    ['CANARY', { strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 } }, 60],
  ] as const)('%s: waits through its traffic steps and completes', async (_, configuration, waitSeconds) => {
    await stagedService(configuration as DeploymentConfiguration);
    const run = await rollout('acme/web:1.1');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`ECS waits ${waitSeconds} s on purpose`);
    expect(run.stdout).toMatch(/stage PRODUCTION_TRAFFIC_SHIFT/);
    expect(await serviceTaskDefinition(ecs, 'prod', 'web')).toMatch(/\/web:2$/);
  });
});
