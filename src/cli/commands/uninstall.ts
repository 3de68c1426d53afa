import { Chalk, type ChalkInstance } from 'chalk';
import type { RemovalReport } from '../../app/uninstall.js';
import { parseUninstallOptions, type UninstallOptions } from '../install-options.js';
import { chooseReporter, envelope, writeDocument } from '../output.js';
import type { RawUninstallOptions } from '../raw-options.js';
import { type CliIo, colorLevel } from '../render.js';

/** Version of the `uninstall` document (it came with `install`'s, and moves with it). */
const UNINSTALL_DOCUMENT_VERSION = 1;

type Count = (status: RemovalReport['status']) => number;

function countsOf(resources: readonly RemovalReport[]): Count {
  return (status) => resources.filter((resource) => resource.status === status).length;
}

function writeUninstallDocument(io: CliIo, options: UninstallOptions, resources: readonly RemovalReport[]): void {
  const count = countsOf(resources);
  writeDocument(
    io,
    envelope('uninstall', UNINSTALL_DOCUMENT_VERSION, {
      name: options.name,
      ...(options.dryRun ? { dryRun: true, wouldDelete: count('would delete') } : {}),
      deleted: count('deleted'),
      alreadyGone: count('already gone'),
      leftAlone: count('not ours, left alone'),
      resources,
    }),
  );
}

function renderUninstall(io: CliIo, color: ChalkInstance, options: UninstallOptions, resources: readonly RemovalReport[]): void {
  const line = (text: string) => io.stdout.write(`${text}\n`);
  const count = countsOf(resources);
  for (const resource of resources) {
    const label = `${resource.kind} ${resource.name}${resource.id === undefined ? '' : ` (${resource.id})`}`;
    const extra =
      resource.subscriptions === undefined ? '' : ` and its ${resource.subscriptions} subscription${resource.subscriptions === 1 ? '' : 's'}`;
    if (resource.status === 'deleted') line(`${color.green('✔')} deleted ${label}${extra}`);
    else if (resource.status === 'would delete') line(`${color.bold('-')} would delete ${label}${extra}`);
    else if (resource.status === 'already gone') line(`${color.dim('·')} ${label}: already gone`);
    else line(`${color.yellow('!')} ${label}: left alone (${resource.reason ?? 'not created by this install'})`);
  }
  if (options.dryRun) {
    line(`Dry run: ${count('would delete')} to delete, ${count('not ours, left alone')} left alone; nothing was changed.`);
  } else if (count('deleted') === 0 && count('not ours, left alone') === 0) {
    line(`Nothing to remove: install ${options.name} was already gone.`);
  } else {
    line(`Uninstalled ${options.name}: ${count('deleted')} deleted, ${count('already gone')} already gone.`);
  }
}

export async function runUninstallCommand(raw: RawUninstallOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  const options = parseUninstallOptions(raw, io.env);
  const { runUninstall } = await import('../../app/uninstall.js');
  const resources = await runUninstall({ aws: options.aws, name: options.name, signal, dryRun: options.dryRun });
  chooseReporter(options.json, {
    json: () => () => writeUninstallDocument(io, options, resources),
    human: () => () => renderUninstall(io, new Chalk({ level: colorLevel(io, raw.color) }), options, resources),
  })();
  return 0;
}
