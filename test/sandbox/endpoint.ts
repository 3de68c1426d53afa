// Which sandbox this test file talks to. global-setup.ts starts one per worker slot; vitest numbers the worker
// running a file with VITEST_POOL_ID (1..maxWorkers, never two running files with the same number), so a file
// that uses the sandbox of its slot has it to itself until it ends, and resets it in its own beforeEach.
import { inject } from 'vitest';

export function sandboxEndpoint(): string {
  const endpoints = inject('sandboxEndpoints');
  if (endpoints === undefined || endpoints.length === 0) {
    throw new Error('no sandbox was started: run integration files through a vitest project with test/sandbox/global-setup.ts');
  }
  const slot = Number(process.env['VITEST_POOL_ID'] ?? '1');
  const endpoint = endpoints[slot - 1];
  if (!Number.isInteger(slot) || endpoint === undefined) {
    // A slot beyond the sandboxes started would share one with a file running alongside: refuse instead.
    throw new Error(
      `worker slot ${process.env['VITEST_POOL_ID']} has no sandbox (${endpoints.length} started); give the project maxWorkers ≥ its slots`,
    );
  }
  return endpoint;
}
