// vitest globalSetup for the integration project: one sandbox per worker the project may run at once
// (its maxWorkers), started side by side. Test files get theirs with sandboxEndpoint() (./endpoint.ts), which
// picks by VITEST_POOL_ID, so two files running at the same moment never share a sandbox, and a file resets
// its own with sandboxControl(endpoint).reset().
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startSandbox } from './sandbox.js';

/**
 * Never more sandboxes than files can run at once: `npx vitest run test/integration/one.test.ts` starts one, not
 * maxWorkers (each costs about 3 s of CPU and 130 MiB). Vitest hands out the lowest free slot, so with n files
 * in the run (of every project: unit files take slots too) only slots 1..n are ever used. The file filters of
 * the command line are vitest's internal `filenamePattern`; without them every file counts.
 */
async function sandboxCount(project: TestProject): Promise<number> {
  const slots = Math.max(1, Math.floor(Number(project.config.maxWorkers)) || 1);
  const filters = (project.vitest as { filenamePattern?: string[] }).filenamePattern;
  let files = 0;
  for (const each of project.vitest.projects) files += (await each.globTestFiles(filters)).testFiles.length;
  return Math.max(1, Math.min(slots, files));
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const count = await sandboxCount(project);
  // Started side by side, each importing moto (about 3 s of CPU): on a busy 2-core machine the ready line can
  // take far longer than one sandbox alone would, so the wait is generous.
  const started = await Promise.allSettled(Array.from({ length: count }, () => startSandbox({ startTimeoutMs: 120_000 })));
  const sandboxes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stopAll = async () => {
    await Promise.all(sandboxes.map((sandbox) => sandbox.stop()));
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await stopAll();
    throw failure.reason;
  }
  project.provide(
    'sandboxEndpoints',
    sandboxes.map((sandbox) => sandbox.endpoint),
  );
  return stopAll;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** One sandbox per worker slot: index VITEST_POOL_ID - 1. */
    sandboxEndpoints: string[];
  }
}
