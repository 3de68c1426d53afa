// vitest globalSetup for the integration project: one sandbox for the whole
// run; test files get its endpoint with inject('sandboxEndpoint') and reset it
// with sandboxControl(endpoint).reset().
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startSandbox } from './sandbox.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sandbox = await startSandbox();
  project.provide('sandboxEndpoint', sandbox.endpoint);
  return async () => {
    await sandbox.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    sandboxEndpoint: string;
  }
}
