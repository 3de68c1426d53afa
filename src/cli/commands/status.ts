import { parseImageReference } from '../../core/image-ref.js';
import { systemClock } from '../../core/ports.js';
import { statusLines, type StatusDocument } from '../../core/status.js';
import { chooseReporter, writeDocument } from '../output.js';
import { awsConfigFrom, parseList, parsePollInterval } from '../parsers.js';
import type { RawStatusOptions } from '../raw-options.js';
import type { CliIo } from '../render.js';

/**
 * `ecs-roll status <image>`: where every version of the image runs. With --watch it refreshes every
 * --poll-interval seconds (at least 10 against AWS) until Ctrl-C; with --json each refresh is one document
 * (one per line when watching).
 */
export async function runStatusCommand(image: string, raw: RawStatusOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  // Checked before any AWS call: a bad reference or interval costs nothing.
  const reference = parseImageReference(image);
  const aws = awsConfigFrom(raw, io.env);
  const intervalMs = parsePollInterval(raw.pollInterval, aws, io.env);
  const clusters = parseList(raw.cluster);
  const [{ runStatus }, { createEcsClient, SdkEcs }] = await Promise.all([import('../../app/status.js'), import('../../aws/ecs.js')]);
  const watching = raw.watch === true;
  const client = createEcsClient(aws);
  try {
    return await runStatus(
      { image: reference, clusters, watch: watching, pollIntervalMs: intervalMs, signal },
      {
        clock: systemClock,
        ecs: () => new SdkEcs(client, client),
        show: chooseReporter(raw.json === true, {
          // One document per look, each on one line when watching.
          json: () => (document: StatusDocument) => writeDocument(io, document, { oneLine: watching }),
          human: () => (document: StatusDocument, refresh: number) => {
            // On a terminal each refresh replaces the last; elsewhere refreshes follow one another.
            if (watching && io.stdout.isTTY === true) io.stdout.write('\u001b[H\u001b[2J');
            else if (refresh > 0) io.stdout.write('\n');
            if (watching) io.stdout.write(`${new Date().toISOString()} (every ${intervalMs / 1000} s, Ctrl-C to stop)\n`);
            io.stdout.write(`${statusLines(document).join('\n')}\n`);
          },
        }),
      },
    );
  } finally {
    client.destroy();
  }
}
