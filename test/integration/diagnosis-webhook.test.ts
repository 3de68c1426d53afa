// The diagnosis through the webhook worker: the packaged Lambda handler (run in a node process, since
// moto cannot run Lambda code) rolls out a build that exits 1, and its JSON log lines say why.
import { beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { usePackagedHandler, workOnPush } from './packaged-handler.js';
import { container, createCluster, createService, ecsClient, registerTaskDefinition } from './helpers.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-key-XyZ';

describe('the webhook worker logs the diagnosis', () => {
  const packaged = usePackagedHandler();

  beforeEach(async () => {
    await sandbox.reset();
  });

  it('one diagnosis line per failed service, the cause on job-finished, no secret', async () => {
    const ecs = ecsClient(endpoint);
    await createCluster(ecs, 'prod');
    const taskDefinition = await registerTaskDefinition(ecs, 'web', [
      container('web', 'acme/web:1.0', {
        secrets: [{ name: 'API_KEY', valueFrom: SECRET_ARN }],
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': '/ecs/web', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' },
        },
      }),
    ]);
    await createService(ecs, 'prod', 'web', taskDefinition, {
      launchType: 'FARGATE',
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    await new Promise((resolve) => setTimeout(resolve, 800));

    const worked = await workOnPush<{ ok: boolean }>(packaged.folder, endpoint, 'acme/web:fail-exit1-3');
    expect(worked.result).toEqual({ ok: false });
    const diagnosis = worked.logs.filter((line) => line.event === 'diagnosis');
    expect(diagnosis).toHaveLength(1);
    expect(diagnosis[0]).toMatchObject({
      cluster: 'prod',
      service: 'web',
      diagnosis: { cause: 'container-exit', summary: 'Essential container web exited with code 1.' },
    });
    const tail = (diagnosis[0]?.diagnosis as { logTail?: { lines: string[] }[] } | undefined)?.logTail?.[0]?.lines ?? [];
    expect(tail.at(-1)).toBe('fatal: could not connect to the database; exiting with code 1');
    const finished = worked.logs.find((line) => line.event === 'job-finished');
    expect(finished).toMatchObject({ ok: false, services: [{ service: 'web', outcome: 'rolled-back', cause: 'container-exit' }] });
    expect(worked.stdout).not.toContain(SECRET_ARN);
  });
});
