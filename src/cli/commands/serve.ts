import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { ENV, webhookConfigFromEnv } from '../../webhook/config.js';
import { runJob } from '../../app/webhook-job.js';
import { sdkRolloutPorts } from '../../app/rollout-aws.js';
import { systemClock } from '../../core/ports.js';
import { defaultStateDirectory, openJournal } from '../../webhook/journal.js';
import { jsonLines } from '../../webhook/log.js';
import { parseNotifyTargets } from '../../core/notify-target.js';
import { createNotifier } from '../../notify/notifier.js';
import { notifyingLog } from '../../notify/worker.js';
import { createJobQueue } from '../../webhook/queue.js';
import { createWebhookServer } from '../../webhook/server.js';
import { tokenProblem } from '../../webhook/token.js';
import { awsConfigFrom, checkPollInterval, parsePort } from '../parsers.js';
import type { RawServeOptions } from '../raw-options.js';
import type { CliIo } from '../render.js';

/**
 * The token comes from a file or the environment, never from the arguments (which every user of the
 * machine can read in the process list). It is removed from this process's environment once read, so
 * no child process (a credential_process, say) inherits it.
 */
function readToken(raw: RawServeOptions, io: CliIo): string | undefined {
  if (raw.token !== undefined) {
    throw new UsageError(`--token would show the token in the process list; put it in a file for --token-file, or in ${ENV.token}`);
  }
  let token: string | undefined;
  if (raw.tokenFile !== undefined) {
    try {
      // One trailing newline is what `echo` and editors write; anything else is part of the token and checked.
      token = readFileSync(raw.tokenFile, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new UsageError(`--token-file: cannot read ${raw.tokenFile} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  } else {
    token = io.env[ENV.token];
  }
  delete io.env[ENV.token];
  if (io.env !== process.env) delete process.env[ENV.token];
  if (token === undefined) return undefined;
  const problem = tokenProblem(token);
  if (problem !== undefined) throw new UsageError(problem);
  return token;
}

/** `ecs-roll serve`: the webhook receiver on node's HTTP server, rollouts run in-process one at a time. */
export async function runServeCommand(raw: RawServeOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  const port = parsePort('--port', raw.port ?? '8080');
  const aws = awsConfigFrom(raw, io.env);
  // Checked before anything starts: a bad target is a usage error, never a silent loss of notifications.
  // ECS_ROLL_NOTIFY (targets separated by spaces) keeps a URL out of the process list, as --token-file keeps the token.
  const notifyTargets = [
    ...parseNotifyTargets(raw.notify),
    ...parseNotifyTargets(
      (io.env.ECS_ROLL_NOTIFY ?? '').split(/\s+/).filter((item) => item !== ''),
      'ECS_ROLL_NOTIFY',
    ),
  ];
  const token = readToken(raw, io);
  // Flags override the environment; the configuration is then read exactly as the Lambda reads it.
  const env: NodeJS.ProcessEnv = {
    ...io.env,
    ...(token === undefined ? {} : { [ENV.token]: token, [ENV.tokenSha256]: undefined }),
    ...(raw.repo === undefined ? {} : { [ENV.repositories]: raw.repo.join(',') }),
    ...(raw.cluster === undefined ? {} : { [ENV.clusters]: raw.cluster.join(',') }),
    ...(raw.policy === undefined ? {} : { [ENV.policy]: raw.policy }),
    ...(raw.strategy === undefined ? {} : { [ENV.strategy]: raw.strategy }),
    ...(raw.timeout === undefined ? {} : { [ENV.timeoutSeconds]: raw.timeout }),
    ...(raw.pollInterval === undefined ? {} : { [ENV.pollSeconds]: raw.pollInterval }),
  };
  const config = webhookConfigFromEnv(env);
  checkPollInterval(config.pollIntervalSeconds, aws, io.env);

  const baseLog = jsonLines((line) => io.stdout.write(line));
  // One notifier for the life of the server; each outcome line also goes to --notify's targets.
  const notifier = notifyTargets.length === 0 ? undefined : createNotifier(notifyTargets, { aws, log: (fields) => baseLog({ ...fields }) });
  const log = notifier === undefined ? baseLog : notifyingLog(baseLog, () => notifier);
  const stateDirectory = raw.stateDir ?? defaultStateDirectory(io.env);
  let journal: ReturnType<typeof openJournal>;
  try {
    journal = openJournal(stateDirectory);
  } catch (error) {
    throw new UsageError(`--state-dir: cannot use ${stateDirectory} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const queue = createJobQueue({
    // A job runs to its end (its calls and waits are bounded by --timeout); a second signal exits at once,
    // and the journal still holds it and everything waiting.
    run: (job) => runJob(job, config, { ...sdkRolloutPorts(aws), clock: systemClock }, log),
    onError: (job, error) =>
      log({ level: 'error', event: 'job-failed', job: job.image, message: error instanceof Error ? error.message : String(error) }),
    policy: config.policy,
    journal,
  });

  const left = journal.load();
  const replayed = queue.replay(left.jobs);
  log({
    level: 'info',
    event: 'journal',
    directory: journal.directory,
    replayed: replayed.queued.map((job) => ({ image: job.image, pushedAt: job.pushedAt })),
    superseded: replayed.superseded.map((job) => job.image),
    ...(left.unreadable.length === 0 ? {} : { unreadable: left.unreadable }),
  });

  const server = createWebhookServer(
    config,
    (job) => {
      const outcome = queue.push(job);
      if (outcome.kind === 'duplicate') log({ level: 'info', event: 'duplicate-job', job: job.image });
      else if (outcome.kind === 'superseded') log({ level: 'info', event: 'job-superseded', job: job.image, by: outcome.by.image });
      else for (const replaced of outcome.replaced) log({ level: 'info', event: 'job-superseded', job: replaced.image, by: job.image });
    },
    log,
  );

  server.listen(port, raw.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : String(address);
  log({ level: 'info', event: 'listening', url: `http://${bound}/hooks/dockerhub/<token>`, repositories: config.repositories });

  if (!signal.aborted) await once(signal, 'abort');
  server.close();
  server.closeAllConnections();
  log({ level: 'info', event: 'stopping', running: queue.running?.image ?? null, kept: queue.waiting });
  await queue.stop();
  // Bounded: what is still being delivered gets at most a few seconds.
  await notifier?.flush();
  log({ level: 'info', event: 'stopped', kept: queue.waiting, directory: journal.directory });
  return 0;
}
