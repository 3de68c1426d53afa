import { OperationFailedError } from '../../core/errors.js';
import type { CliIo } from '../render.js';

export async function runPolicyPut(_service: string, _raw: Record<string, unknown>, _io: CliIo): Promise<number> {
  throw new OperationFailedError('scale policy put is not available yet');
}
export async function runPolicyList(_raw: Record<string, unknown>, _io: CliIo): Promise<number> {
  throw new OperationFailedError('scale policy list is not available yet');
}
export async function runPolicyRemove(_service: string, _raw: Record<string, unknown>, _io: CliIo): Promise<number> {
  throw new OperationFailedError('scale policy remove is not available yet');
}
