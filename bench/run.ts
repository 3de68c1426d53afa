// `npm run bench`: builds (in the npm script), then measures ecs-roll against the sandbox and writes BENCHMARKS.md.
//   --quick              fewer rounds and smaller loads, for checking the bench itself; prints, does not write BENCHMARKS.md
//   --side-by-side-only  only section 6 (ecs-roll beside a per-service deploy tool); prints, does not write BENCHMARKS.md
//   BENCH_LATENCY_MS=n   round trip modelled per ECS call in the second wall-time run (default 20; 0 skips it)
import { join } from 'node:path';
import { ecsClient } from '../test/integration/helpers.js';
import { sandboxControl } from '../test/sandbox/client.js';
import { startSandbox } from '../test/sandbox/sandbox.js';
import { describeMachine, progress, ROOT } from './lib.js';
import { generated, sideBySideSection, summaryRows, writeReport, type Results } from './report.js';
import { startLatencyProxy } from './latency-proxy.js';
import { measureCalls, measureWallTime, type WallTime } from './rollout.js';
import { measureLambda, measureStartup } from './startup.js';
import { measureWebhook } from './webhook.js';
import { measureSideBySide, SIDE_BY_SIDE_SIZES } from './side-by-side.js';

const quick = process.argv.includes('--quick');
const sideBySideOnly = process.argv.includes('--side-by-side-only');
/** Round trip the latency proxy adds to each ECS call in the modelled wall-time run; BENCH_LATENCY_MS=0 skips that run. */
const LATENCY_MS = Number(process.env['BENCH_LATENCY_MS'] ?? 20);
const began = performance.now();
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const machine = describeMachine();
progress(`${machine.cpu}, ${machine.cores} cores, ${machine.memory}, node ${machine.node}${quick ? ' (quick mode)' : ''}`);

if (sideBySideOnly) {
  const sandbox = await startSandbox({ scheduler: false });
  const ecs = ecsClient(sandbox.endpoint);
  try {
    const rows = await measureSideBySide(sandbox.endpoint, ecs, sandboxControl(sandbox.endpoint), quick ? [20] : SIDE_BY_SIDE_SIZES);
    process.stdout.write(`${sideBySideSection(rows).join('\n')}\n`);
  } finally {
    ecs.destroy();
    await sandbox.stop();
  }
  process.exit(0);
}

// Process start-ups first, while no sandbox runs beside them.
const startup = await measureStartup(quick ? 5 : 30);
const lambda = await measureLambda(quick ? 5 : 20);

const sandbox = await startSandbox({ scheduler: false });
let results: Results;
try {
  const control = sandboxControl(sandbox.endpoint);
  const ecs = ecsClient(sandbox.endpoint);
  try {
    const calls = await measureCalls(sandbox.endpoint, ecs, control);
    const wallWorkload = quick ? { services: 100, clusters: 20 } : { services: 1000, clusters: 20 };
    const wall = await measureWallTime(sandbox.endpoint, ecs, control, wallWorkload, quick ? 1 : 3);
    // The same comparison with a network round trip modelled in front of the sandbox (one round: the baseline is slow).
    let modelled: WallTime | undefined;
    if (LATENCY_MS > 0) {
      const proxy = await startLatencyProxy(sandbox.endpoint, LATENCY_MS);
      try {
        modelled = await measureWallTime(proxy.endpoint, ecs, control, wallWorkload, 1, LATENCY_MS);
      } finally {
        await proxy.close();
      }
    }
    const sideBySide = await measureSideBySide(sandbox.endpoint, ecs, control, quick ? [20] : SIDE_BY_SIDE_SIZES);
    await control.reset();
    await control.config({ paused: true });
    const webhook = await measureWebhook(
      sandbox.endpoint,
      quick ? { requests: 500, seconds: 5, connections: 4, warmup: 50 } : { requests: 5000, seconds: 20, connections: 4, warmup: 200 },
    );
    results = {
      machine,
      date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      seconds: (performance.now() - began) / 1000,
      calls,
      wall,
      ...(modelled === undefined ? {} : { modelled }),
      startup,
      lambda,
      webhook,
      sideBySide,
    };
  } finally {
    ecs.destroy();
  }
} finally {
  await sandbox.stop();
}

process.stdout.write(`\n${generated(results)}\n\n`);
const missed = summaryRows(results).filter((row) => row[4] === '**missed**');
process.stdout.write(missed.length === 0 ? 'Every target met.\n' : `Missed: ${missed.map((row) => row[0]).join(', ')}\n`);
if (quick) {
  progress('quick mode: BENCHMARKS.md left as it is');
} else {
  writeReport(join(ROOT, 'BENCHMARKS.md'), results);
  progress(`wrote BENCHMARKS.md in ${((performance.now() - began) / 1000).toFixed(0)} s`);
}
