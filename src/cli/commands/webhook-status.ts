import { Chalk } from 'chalk';
import type { WebhookStatus } from '../../app/webhook-status.js';
import { chooseReporter, writeDocument } from '../output.js';
import { awsConfigFrom, parseInstallName } from '../parsers.js';
import type { RawWebhookStatusOptions } from '../raw-options.js';
import { type CliIo, colorLevel } from '../render.js';

/** `ecs-roll webhook status`: pushes in flight, rollouts followed, dead letters, recent outcomes. */
export async function runWebhookStatusCommand(raw: RawWebhookStatusOptions, io: CliIo): Promise<number> {
  const name = parseInstallName(raw.name);
  const aws = awsConfigFrom(raw, io.env);
  const json = raw.json === true;
  const [{ readWebhookStatus }, { openWebhookStatusPorts }] = await Promise.all([
    import('../../app/webhook-status.js'),
    import('../../app/webhook-status-aws.js'),
  ]);
  const ports = openWebhookStatusPorts(aws);
  let status: WebhookStatus;
  try {
    status = await readWebhookStatus(name, ports);
  } finally {
    ports.close();
  }
  chooseReporter(json, {
    json: () => () => writeDocument(io, status),
    human: () => () => io.stdout.write(renderWebhookStatus(status, new Chalk({ level: colorLevel(io, raw.color) }))),
  })();
  return 0;
}

export function renderWebhookStatus(status: WebhookStatus, color: InstanceType<typeof Chalk>): string {
  const lines: string[] = [];
  const { pushes, follow } = status.queues;
  if (!pushes.exists) lines.push(color.yellow(`install ${status.name} has no pushes queue (${pushes.name}); run install`));
  lines.push(`pushes:     ${pushes.waiting} waiting, ${pushes.inFlight} being started`);
  lines.push(`following:  ${follow.waiting + follow.delayed + follow.inFlight} rollout look(s) queued (${follow.inFlight} running now)`);
  lines.push(
    `dead letters: ${status.queues.pushesDead.waiting + status.queues.pushesDead.inFlight + status.queues.followDead.waiting + status.queues.followDead.inFlight}`,
  );
  for (const letter of status.deadLetters) {
    const what =
      letter.alarm !== undefined
        ? `alarm re-check of ${letter.alarm}`
        : letter.image === undefined
          ? JSON.stringify(letter.body ?? '')
          : `${letter.kind ?? 'job'} ${letter.image}${letter.pushedAt === undefined ? '' : ` pushed at ${letter.pushedAt}`}`;
    lines.push(`  ${color.red('✖')} ${letter.queue} ${letter.messageId}: ${what}${letter.sentAt === undefined ? '' : ` (sent ${letter.sentAt})`}`);
  }
  lines.push(`recent rollouts: ${status.recent.length === 0 ? 'none logged in the last 7 days' : ''}`);
  for (const finished of status.recent) {
    const mark = finished.ok === true ? color.green('✔') : color.red('✖');
    const services = finished.services.map((service) => `${service.cluster ?? '?'}/${service.service ?? '?'} ${service.outcome ?? ''}`).join(', ');
    lines.push(
      `  ${mark} ${finished.time} ${finished.image ?? '?'}${finished.outcome === undefined ? '' : ` ${finished.outcome}`}: ${services || finished.reason || ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
