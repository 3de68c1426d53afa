// The setup every integration file shares, as vitest fixtures: the file's sandbox (the one of its worker slot),
// an ECS client on it, and a test API whose tests each start on a sandbox reset to empty, then set to the
// file's sandboxConfig (tick, time factors: `it.override({ sandboxConfig: … })` at the top of the file).
// The reset is an automatic fixture, so it runs before the file's own beforeEach seeds anything.
import type { ECSClient } from '@aws-sdk/client-ecs';
import { test } from 'vitest';
import { sandboxControl, type SandboxConfig, type SandboxControl } from '../sandbox/client.js';
import { sandboxEndpoint } from '../sandbox/endpoint.js';
import { ecsClient } from '../ecs.js';

export interface SandboxFile {
  /** The sandbox of this file's worker slot. */
  readonly endpoint: string;
  readonly sandbox: SandboxControl;
  readonly ecs: ECSClient;
}

/** For the file's module scope: what its helpers and tests use to seed and to check the sandbox. */
export function sandboxFile(): SandboxFile {
  const endpoint = sandboxEndpoint();
  return { endpoint, sandbox: sandboxControl(endpoint), ecs: ecsClient(endpoint) };
}

export const it = test.extend<{ sandboxConfig: SandboxConfig; freshSandbox: SandboxControl }>({
  sandboxConfig: {},
  freshSandbox: [
    async ({ sandboxConfig }, use) => {
      const sandbox = sandboxControl(sandboxEndpoint());
      await sandbox.reset();
      if (Object.keys(sandboxConfig).length > 0) await sandbox.config(sandboxConfig);
      await use(sandbox);
    },
    { auto: true },
  ],
});
