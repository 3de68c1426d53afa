import { parseImageReference } from '../../core/image-ref.js';
import { systemClock } from '../../core/ports.js';
import { statusLines } from '../../core/status.js';
import { awsConfigFrom, parsePollInterval } from '../options.js';
import type { CliIo } from '../render.js';

export interface RawStatusOptions {
  cluster?: string[];
  json?: boolean;
  watch?: boolean;
  pollInterval?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
}

/**
 * `ecs-roll status <image>`: where every version of the image runs. With --watch it refreshes every
 * --poll-interval seconds (at least 10 against AWS) until Ctrl-C; with --json each refresh is one document
 * (one per line when watching).
 */
export async function runStatusCommand(image: string, raw: RawStatusOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  // Checked before any AWS call: a bad reference or interval costs nothing.
  const reference = parseImageReference(image);
  const aws = awsConfigFrom(raw, io.env);
  const intervalMs = Math.round(parsePollInterval(raw.pollInterval, aws, io.env) * 1000);
  const clusters = splitList(raw.cluster);
  const [{ runStatus }, { createEcsClient, SdkEcs }] = await Promise.all([import('../../app/status.js'), import('../../aws/ecs.js')]);
  const watching = raw.watch === true;
  const client = createEcsClient(aws);
  try {
    return await runStatus(
      { image: reference, clusters, watch: watching, pollIntervalMs: intervalMs, signal },
      {
        clock: systemClock,
        ecs: () => new SdkEcs(client, client),
        show: (document, refresh) => {
          if (raw.json === true) {
            io.stdout.write(`${watching ? JSON.stringify(document) : JSON.stringify(document, null, 2)}\n`);
            return;
          }
          // On a terminal each refresh replaces the last; elsewhere refreshes follow one another.
          if (watching && io.stdout.isTTY === true) io.stdout.write('\u001b[H\u001b[2J');
          else if (refresh > 0) io.stdout.write('\n');
          if (watching) io.stdout.write(`${new Date().toISOString()} (every ${intervalMs / 1000} s, Ctrl-C to stop)\n`);
          io.stdout.write(`${statusLines(document).join('\n')}\n`);
        },
      },
    );
  } finally {
    client.destroy();
  }
}
