// Deals integration test files into shards of about equal running time, each shard served by its own sandbox.
// Deterministic: the same files always land in the same shards, so a failure is replayed by running its shard.

/**
 * Seconds each file took in a full run on a 2-core machine (`npx vitest run --reporter=json`). Only the order of
 * magnitude matters: a file that is missing here counts as DEFAULT_SECONDS. Re-measure when a file grows a lot.
 */
const MEASURED_SECONDS: Record<string, number> = {
  'test/integration/webhook-e2e.test.ts': 115,
  'test/integration/alarm-scaling-e2e.test.ts': 110,
  'test/integration/scale-policy.test.ts': 45,
  'test/integration/alarm-worker-packaged.test.ts': 40,
  'test/integration/reliability.test.ts': 65,
  'test/integration/waiting.test.ts': 50,
  'test/integration/hostile-webhooks.test.ts': 40,
  'test/integration/install.test.ts': 35,
  'test/integration/concurrency.test.ts': 35,
  'test/integration/first-contact.test.ts': 35,
  'test/integration/diagnosis.test.ts': 30,
  'test/integration/action.test.ts': 30,
  'test/integration/strategies.test.ts': 30,
  'test/integration/lambda.test.ts': 25,
  'test/sandbox/lambda.test.ts': 25,
  'test/integration/package.test.ts': 20,
};
const DEFAULT_SECONDS = 15;

/** Longest files first, each into the shard with the least work so far (the LPT rule). */
export function integrationShards(files: readonly string[], shardCount: number): string[][] {
  const count = Math.max(1, Math.min(Math.floor(shardCount) || 1, files.length || 1));
  const shards = Array.from({ length: count }, () => ({ seconds: 0, files: [] as string[] }));
  const weighted = [...files]
    .sort()
    .map((file) => ({ file, seconds: MEASURED_SECONDS[file] ?? DEFAULT_SECONDS }))
    .sort((a, b) => b.seconds - a.seconds);
  for (const { file, seconds } of weighted) {
    const lightest = shards.reduce((best, shard) => (shard.seconds < best.seconds ? shard : best));
    lightest.files.push(file);
    lightest.seconds += seconds;
  }
  return shards.map((shard) => shard.files);
}
