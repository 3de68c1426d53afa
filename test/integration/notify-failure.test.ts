// A failed push, told: the packaged worker (run in a node process, since moto cannot run Lambda code)
// rolls out a build that exits 1; ECS's circuit breaker puts the service back, and the worker sends
// "failed" with the reason and the diagnosis cause, then "rolled-back", to the URL the install's SSM
// SecureString parameter holds. A second target that answers 500 changes nothing of the outcome.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { sandboxControl } from '../sandbox/client.js';
import { usePackagedHandler, workOnPush } from './packaged-handler.js';
import { container, createCluster, createService, ecsClient, REGION, registerTaskDefinition } from './helpers.js';

const endpoint = sandboxEndpoint();
const sandbox = sandboxControl(endpoint);
const SECRET_PATH = '/hooks/failuresecretpath';

describe('the webhook worker notifies a failed push', () => {
  const packaged = usePackagedHandler();
  const servers: Server[] = [];

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  beforeEach(async () => {
    await sandbox.reset();
  });

  async function receiver(status: number): Promise<{ url: string; documents: Record<string, unknown>[] }> {
    const documents: Record<string, unknown>[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        documents.push(JSON.parse(body) as Record<string, unknown>);
        response.writeHead(status).end();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${SECRET_PATH}`, documents };
  }

  it('"failed" with the reason and cause, then "rolled-back"; a target answering 500 is logged and the outcome stands', async () => {
    const ecs = ecsClient(endpoint);
    await createCluster(ecs, 'prod');
    const taskDefinition = await registerTaskDefinition(ecs, 'web', [container('web', 'acme/web:1.0')]);
    await createService(ecs, 'prod', 'web', taskDefinition, {
      launchType: 'FARGATE',
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const hook = await receiver(204);
    const failing = await receiver(500);
    await new SSMClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }).send(
      new PutParameterCommand({ Name: '/ecs-roll/ecs-roll/notify-urls', Type: 'SecureString', Value: JSON.stringify([hook.url, failing.url]) }),
    );

    const worked = await workOnPush<{ ok: boolean }>(packaged.folder, endpoint, 'acme/web:fail-exit1-3', {
      ECS_ROLL_NOTIFY_PARAMETER: '/ecs-roll/ecs-roll/notify-urls',
    });
    expect(worked.result).toEqual({ ok: false });
    expect(worked.logs.find((line) => line.event === 'job-finished')).toMatchObject({
      ok: false,
      services: [{ service: 'web', outcome: 'rolled-back' }],
    });

    // Both targets got both documents before the invocation ended (the worker waits for them, bounded).
    for (const target of [hook, failing]) expect(target.documents.map((document) => document.outcome)).toEqual(['failed', 'rolled-back']);
    const [failed, back] = hook.documents as [Record<string, unknown>, Record<string, unknown>];
    expect(failed).toMatchObject({
      kind: 'ecs-roll-notification',
      version: 1,
      operation: 'rollout',
      source: 'webhook',
      image: 'acme/web:fail-exit1-3',
      pushedAt: 1_767_225_600,
      services: [{ cluster: 'prod', service: 'web', outcome: 'rolled-back', cause: 'container-exit' }],
    });
    expect(String((failed.services as { reason?: string }[])[0]?.reason)).toMatch(/circuit breaker|rolled back/);
    expect(String(failed.text)).toMatch(/^:x: ecs-roll: rollout of acme\/web:fail-exit1-3 failed: prod\/web: /);
    expect(back).toMatchObject({ outcome: 'rolled-back', services: [{ service: 'web', outcome: 'rolled-back' }] });

    // The 500 is logged with the target as scheme and host; the URL's secret path is in no log line.
    const failures = worked.logs.filter((line) => line.event === 'notify-failed');
    expect(failures.map((line) => [line.target, line.message])).toEqual([
      [`http://${new URL(failing.url).host}/[redacted]`, 'HTTP 500'],
      [`http://${new URL(failing.url).host}/[redacted]`, 'HTTP 500'],
    ]);
    expect(worked.stdout).not.toContain('failuresecretpath');
  });
});
