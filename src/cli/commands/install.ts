import { OperationFailedError } from '../../core/errors.js';
import type { CliIo } from '../render.js';

export async function runInstallCommand(_raw: Record<string, unknown>, _io: CliIo, _signal: AbortSignal): Promise<number> {
  throw new OperationFailedError('install is not available yet');
}

export async function runUninstallCommand(_raw: Record<string, unknown>, _io: CliIo, _signal: AbortSignal): Promise<number> {
  throw new OperationFailedError('uninstall is not available yet');
}
