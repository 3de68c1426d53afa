import { once } from 'node:events';
import { UsageError } from '../../core/errors.js';
import { ENV, webhookConfigFromEnv } from '../../webhook/config.js';
import { runJob } from '../../webhook/jobs.js';
import { jsonLines } from '../../webhook/log.js';
import { createJobQueue } from '../../webhook/queue.js';
import { createWebhookServer } from '../../webhook/server.js';
import { awsConfigFrom, checkPollInterval } from '../options.js';
import type { CliIo } from '../render.js';

interface RawServeOptions {
  port?: string;
  host?: string;
  token?: string;
  repo?: string[];
  cluster?: string[];
  policy?: string;
  strategy?: string;
  timeout?: string;
  pollInterval?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/** `ecs-roll serve`: the webhook receiver on node's HTTP server, rollouts run in-process one at a time. */
export async function runServeCommand(raw: RawServeOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  const port = Number(raw.port ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${JSON.stringify(raw.port)}`);
  const aws = awsConfigFrom(raw, io.env);
  // Flags override the environment; the configuration is then read exactly as the Lambda reads it.
  const env: NodeJS.ProcessEnv = {
    ...io.env,
    ...(raw.token === undefined ? {} : { [ENV.token]: raw.token, [ENV.tokenSha256]: undefined }),
    ...(raw.repo === undefined ? {} : { [ENV.repositories]: raw.repo.join(',') }),
    ...(raw.cluster === undefined ? {} : { [ENV.clusters]: raw.cluster.join(',') }),
    ...(raw.policy === undefined ? {} : { [ENV.policy]: raw.policy }),
    ...(raw.strategy === undefined ? {} : { [ENV.strategy]: raw.strategy }),
    ...(raw.timeout === undefined ? {} : { [ENV.timeoutSeconds]: raw.timeout }),
    ...(raw.pollInterval === undefined ? {} : { [ENV.pollSeconds]: raw.pollInterval }),
  };
  const token = env[ENV.token];
  if (token !== undefined && token.length < 32) throw new UsageError('the token must be at least 32 characters (generate one with: openssl rand -base64 32)');
  const config = webhookConfigFromEnv(env);
  checkPollInterval(config.pollIntervalSeconds, aws, io.env);

  const log = jsonLines((line) => io.stdout.write(line));
  const jobs = new AbortController();
  signal.addEventListener('abort', () => jobs.abort(), { once: true });
  const queue = createJobQueue(
    (job) => runJob(job, config, aws, log, { signal: jobs.signal }),
    (job, error) => log({ level: 'error', event: 'job-failed', job: job.image, message: error instanceof Error ? error.message : String(error) }),
  );
  const server = createWebhookServer(config, (job) => {
    if (!queue.push(job)) log({ level: 'info', event: 'duplicate-job', job: job.image });
  }, log);

  server.listen(port, raw.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : String(address);
  log({ level: 'info', event: 'listening', url: `http://${bound}/hooks/dockerhub/<token>`, repositories: config.repositories });

  if (!signal.aborted) await once(signal, 'abort');
  server.close();
  server.closeAllConnections();
  await queue.idle();
  log({ level: 'info', event: 'stopped' });
  return 0;
}
