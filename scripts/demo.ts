/**
 * `npm run demo`: starts the ECS sandbox (moto plus a model of ECS's scheduler), seeds two clusters
 * running acme/web:1.0, rolls out 1.1 with live progress, then rolls out a broken build that the
 * deployment circuit breaker stops and ecs-roll rolls back and diagnoses, then shows where each version runs. Everything runs on loopback.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { startSandbox } from '../test/sandbox/sandbox.js';
import { container, createCluster, createService, ecsClient, registerTaskDefinition, TEST_ENV } from '../test/integration/helpers.js';

const cli = fileURLToPath(new URL('../bin/ecs-roll', import.meta.url));
Object.assign(process.env, TEST_ENV);

function ecsRoll(endpoint: string, args: string[]): Promise<number> {
  console.log(`\n$ ecs-roll ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args, '--endpoint-url', endpoint, '--poll-interval', '0.5'], {
      stdio: 'inherit',
      env: process.env,
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

async function show(endpoint: string, title: string): Promise<void> {
  const ecs = ecsClient(endpoint);
  console.log(`\n${title}`);
  for (const [cluster, services] of Object.entries(layout)) {
    const answer = await ecs.send(new DescribeServicesCommand({ cluster, services }));
    for (const service of answer.services ?? []) {
      console.log(`  ${cluster}/${service.serviceName}: ${service.taskDefinition?.split('/').pop()}, ${service.runningCount}/${service.desiredCount} running`);
    }
  }
}

const layout: Record<string, string[]> = { production: ['web', 'web-canary', 'worker'], staging: ['web', 'worker'] };

const started = Date.now();
console.log('Starting the ECS sandbox (moto with a scheduler) on loopback…');
const sandbox = await startSandbox({ tickSeconds: 0.2 });
try {
  const ecs = ecsClient(sandbox.endpoint);
  for (const [cluster, services] of Object.entries(layout)) {
    await createCluster(ecs, cluster);
    const logs = { logDriver: 'awslogs' as const, options: { 'awslogs-group': `/ecs/${cluster}-web`, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' } };
    const web = await registerTaskDefinition(ecs, `${cluster}-web`, [container('web', 'acme/web:1.0', { logConfiguration: logs }), container('log-router', 'fluent/fluent-bit:3.0')], {
      tags: [{ key: 'team', value: 'storefront' }],
    });
    const worker = await registerTaskDefinition(ecs, `${cluster}-worker`, [container('worker', 'acme/worker:2.3')]);
    for (const service of services) {
      await createService(ecs, cluster, service, service === 'worker' ? worker : web, {
        desiredCount: service === 'web' ? 3 : 2,
        launchType: 'FARGATE',
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
      });
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await show(sandbox.endpoint, 'Seeded: two clusters, services on acme/web:1.0 (workers run another image)');

  const good = await ecsRoll(sandbox.endpoint, ['rollout', 'acme/web:1.1', '--timeout', '60']);
  await show(sandbox.endpoint, `After rolling out acme/web:1.1 (exit ${good}):`);

  // A build that exits 1 on start (the sandbox's fail-exit1 tag): ecs-roll rolls back and says why, with the log tail.
  const broken = await ecsRoll(sandbox.endpoint, ['rollout', 'acme/web:fail-exit1-1.2', '--timeout', '60']);
  await show(sandbox.endpoint, `After the broken acme/web:fail-exit1-1.2 (exit ${broken}; the circuit breaker stopped it and ecs-roll rolled back):`);

  await ecsRoll(sandbox.endpoint, ['status', 'acme/web']);

  console.log(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  if (good !== 0 || broken !== 1) {
    console.error(`unexpected exit codes: ${good} for the good rollout (want 0), ${broken} for the broken one (want 1)`);
    process.exitCode = 1;
  }
} finally {
  await sandbox.stop();
}
