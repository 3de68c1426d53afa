// `rollout` when the circuit breaker has rolled a deployment back and ECS has dropped it from the service before
// the next poll: the failure reason comes from ECS's record of that deployment (ListServiceDeployments /
// DescribeServiceDeployments, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html).
// The sandbox drops the failed deployment the moment the rollback starts, so no poll ever sees it FAILED.
import { DescribeServiceDeploymentsCommand, ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { describe, expect } from 'vitest';
import { it } from './fixtures.js';
import { container, createCluster, registerTaskDefinition } from './helpers.js';
import { describeService, ecs, parseResult, rollout, sandbox, serviceResult, steadyService, waitFor } from './waiting-world.js';

it.override({ sandboxConfig: { tick: 0.1, dropFailedDeployments: true } });

const BREAKER_WITH_ROLLBACK = { deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } };

describe('a deployment ECS rolled back and dropped between two polls', () => {
  it("is explained by ECS's record of it: the circuit breaker's reason, not just that it is gone", async () => {
    await createCluster(ecs, 'prod');
    const source = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await steadyService('prod', 'api', source, { desiredCount: 2, ...BREAKER_WITH_ROLLBACK });
    await sandbox.clearCalls();

    const run = await rollout(['acme/web:broken-1.2', '--json', '--timeout', '20']);
    expect(run.code).toBe(1);
    const api = serviceResult(parseResult(run), 'api');
    expect(api.reason).toMatch(
      /^deployment ecs-svc\/\d+ failed and ECS rolled it back \(ROLLBACK_(IN_PROGRESS|SUCCESSFUL)\): ECS deployment circuit breaker: tasks failed to start\.; the service now runs web:1/,
    );
    expect(api.reason).not.toMatch(/is gone/);
    // One ListServiceDeployments and one DescribeServiceDeployments, only because the deployment was gone.
    const calls = await sandbox.calls();
    expect(calls.filter((call) => call.action === 'ListServiceDeployments')).toHaveLength(1);
    expect(calls.filter((call) => call.action === 'DescribeServiceDeployments')).toHaveLength(1);

    // Through the API: the failed deployment is not in the service's list, but its record stays, rolled back.
    const deploymentId = /deployment (ecs-svc\/\d+)/.exec(api.reason ?? '')?.[1];
    expect((await describeService('prod', 'api')).deployments?.map((deployment) => deployment.id)).not.toContain(deploymentId);
    const listed = await waitFor('the rollback to finish in the record', async () => {
      const found = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'api', status: ['ROLLBACK_SUCCESSFUL'] }));
      return found.serviceDeployments?.length === 1 ? found.serviceDeployments : undefined;
    });
    const arn = listed[0]?.serviceDeploymentArn ?? '';
    // The documented shape: arn:aws:ecs:region:account:service-deployment/cluster/service/id.
    expect(arn).toMatch(/^arn:aws:ecs:[a-z0-9-]+:\d{12}:service-deployment\/prod\/api\/[A-Za-z0-9-]+$/);
    const described = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
    expect(described.serviceDeployments?.[0]).toMatchObject({
      status: 'ROLLBACK_SUCCESSFUL',
      statusReason: 'ECS deployment circuit breaker: tasks failed to start.',
      rollback: { reason: 'ECS deployment circuit breaker: tasks failed to start.' },
    });
    // The service's first deployment has a record of its own, SUCCESSFUL.
    const all = await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'api' }));
    expect(all.serviceDeployments?.map((deployment) => deployment.status).sort()).toEqual(['ROLLBACK_SUCCESSFUL', 'SUCCESSFUL']);
  });
});
