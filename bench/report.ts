// Turns the measurements into BENCHMARKS.md: a generated part between markers, rewritten on every run,
// and the hand-written explanation outside them, which is kept as it is (or written from NOTES when missing).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ms, pct, ratio, type Machine } from './lib.js';
import { callBreakdown, type CallCase, type WallTime } from './rollout.js';
import type { SideBySideRow } from './side-by-side.js';
import type { LambdaResult, StartupResult } from './startup.js';
import type { WebhookResult } from './webhook.js';

export const BEGIN = '<!-- bench:generated:begin (npm run bench rewrites everything up to the end marker) -->';
export const END = '<!-- bench:generated:end -->';

export const TARGETS = {
  callsOverBound: 0.05,
  speedup: 10,
  startupRatio: 1.5,
  zipBytes: 400 * 1024,
  importRatio: 3,
} as const;

export interface Results {
  readonly machine: Machine;
  readonly date: string;
  readonly seconds: number;
  readonly calls: readonly CallCase[];
  readonly wall: WallTime;
  /** The same comparison through the latency proxy, when it ran. */
  readonly modelled?: WallTime;
  readonly startup: StartupResult;
  readonly lambda: LambdaResult;
  readonly webhook: WebhookResult;
  /** ecs-roll beside the per-service deploy tool, when it ran. */
  readonly sideBySide?: readonly SideBySideRow[];
}

const met = (ok: boolean) => (ok ? '**met**' : '**missed**');
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? Number.NaN;

export function summaryRows(results: Results): string[][] {
  const { calls, wall, startup, lambda } = results;
  const worst = calls.reduce((a, b) => (b.total / b.bound.total > a.total / a.bound.total ? b : a));
  const within = calls.filter((entry) => entry.total <= entry.bound.total * (1 + TARGETS.callsOverBound)).length;
  const big = calls.find((entry) => entry.workload.services === 1000 && entry.workload.clusters === 20);
  const rss =
    wall.cliRssKiB.length > 0
      ? `${(Math.max(...wall.cliRssKiB) / 1024).toFixed(0)} MiB peak RSS (max of ${wall.cliRssKiB.length} runs)`
      : 'not measured';
  return [
    [
      '1',
      'API calls of a `--no-wait` rollout vs the lower bound (all 9 estates)',
      `${within}/${calls.length} within 5%; worst ${pct(worst.total / worst.bound.total - 1)} (${worst.workload.services} svc / ${worst.workload.clusters} cl: ${worst.total} vs ${worst.bound.total})` +
        (big === undefined ? '' : `; 1,000 svc / 20 cl: ${big.total} vs ${big.bound.total} (${pct(big.total / big.bound.total - 1)})`),
      '≤ bound + 5% in every estate',
      met(within === calls.length),
    ],
    [
      '2',
      `wall time, \`rollout --no-wait\`, ${wall.workload.services} services in ${wall.workload.clusters} clusters`,
      `ecs-roll ${ms(median(wall.cliMs))} (whole process) vs sequential ${ms(median(wall.baselineMs))}: **${ratio(wall.speedup)}** faster`,
      '≥ 10× faster than one service at a time',
      met(wall.speedup >= TARGETS.speedup),
    ],
    ['2b', 'peak memory of that CLI run', rss, 'reported', '—'],
    ...(results.modelled === undefined
      ? []
      : [
          [
            '2c',
            `same, with ${results.modelled.latencyMs} ms of network round trip modelled per call (latency proxy, ${results.modelled.cliMs.length} round)`,
            `ecs-roll ${ms(median(results.modelled.cliMs))} vs sequential ${ms(median(results.modelled.baselineMs))}: **${ratio(results.modelled.speedup)}** faster`,
            '≥ 10× (model, for context)',
            results.modelled.speedup >= TARGETS.speedup ? 'met (model)' : 'missed (model)',
          ],
        ]),
    [
      '3',
      '`ecs-roll --version` start-up vs `node -e 0`',
      `${ms(startup.versionMs)} vs ${ms(startup.nodeMs)}: ${ratio(startup.versionRatio)}`,
      '≤ 1.5×',
      met(startup.versionRatio <= TARGETS.startupRatio),
    ],
    [
      '3b',
      '`ecs-roll --help` start-up vs `node -e 0`',
      `${ms(startup.helpMs)} vs ${ms(startup.nodeMs)}: ${ratio(startup.helpRatio)}`,
      '≤ 1.5×',
      met(startup.helpRatio <= TARGETS.startupRatio),
    ],
    [
      '4',
      'Lambda zip (`ecs-roll package`)',
      `${(lambda.zipBytes / 1024).toFixed(1)} KiB (handler.mjs and its chunks ${(lambda.bundleBytes / 1024).toFixed(0)} KiB unzipped)`,
      '< 400 KiB',
      met(lambda.zipBytes < TARGETS.zipBytes),
    ],
    [
      '4b',
      'import of the zipped handler in a fresh node vs an empty module',
      `${ms(lambda.handlerMs)} vs ${ms(lambda.emptyMs)}: ${ratio(lambda.importRatio)}`,
      '< 3×',
      met(lambda.importRatio < TARGETS.importRatio),
    ],
    ...results.webhook.scenarios.map((scenario, i) => [
      i === 0 ? '5' : `5${String.fromCharCode(97 + i)}`,
      `\`serve\`: ${scenario.name}`,
      `${scenario.perSecond.toFixed(0)} req/s, p50 ${ms(scenario.p50)}, p99 ${ms(scenario.p99)}`,
      'reported',
      '—',
    ]),
    ...(results.sideBySide ?? []).map((row, i) => [
      `6${String.fromCharCode(97 + i)}`,
      `per-service deploy tool / ecs-roll, ${row.workload.services} services (same run)`,
      `calls ${ratio(row.perService.calls / row.ecsRoll.calls)}, wall time ${ratio(row.perService.ms / row.ecsRoll.ms)}, peak memory ${ratio(row.perService.peakRssKiB / row.ecsRoll.peakRssKiB)}`,
      'reported',
      '—',
    ]),
  ];
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function generated(results: Results): string {
  const { machine, calls, wall, startup, lambda, webhook } = results;
  const out: string[] = [];
  out.push(`Run on ${results.date} in ${results.seconds.toFixed(0)} s. Reproduce with \`npm run bench\` (builds, then \`tsx bench/run.ts\`).`);
  out.push('');
  out.push(
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory} memory, node ${machine.node}, ${machine.os}; ` +
      `AWS stand-in: the sandbox (moto ${machine.moto} server + scheduler model, test/sandbox) on loopback, scheduler off.`,
  );
  out.push('');
  out.push('### Summary');
  out.push('');
  out.push(table(['#', 'figure', 'measured', 'target', 'verdict'], summaryRows(results)));
  out.push('');

  out.push('### 1. API calls per rollout (`ecs-roll rollout acme/web:1.1 --no-wait`)');
  out.push('');
  out.push(
    'Counted from the sandbox call log. A fifth of the services run acme/web (service i when i mod 5 = 0); services share ' +
      'task definitions five to one; services are spread round-robin over the clusters. Bound = ListClusters pages + ' +
      'ListServices pages (100 per page, per cluster) + DescribeServices (⌈services/10⌉ per cluster) + one DescribeTaskDefinition ' +
      'per distinct task definition + one RegisterTaskDefinition per distinct matching task definition + one UpdateService per matching service.',
  );
  out.push('');
  out.push(
    table(
      ['services', 'clusters', 'matching svc', 'task defs (matching)', 'bound', 'measured', 'over bound', 'where it differs', '≤ 5%'],
      calls.map((entry) => [
        String(entry.workload.services),
        String(entry.workload.clusters),
        String(entry.matchingServices),
        `${entry.taskDefinitions} (${entry.registrations})`,
        String(entry.bound.total),
        String(entry.total),
        pct(entry.total / entry.bound.total - 1),
        callBreakdown(entry),
        entry.total <= entry.bound.total * (1 + TARGETS.callsOverBound) ? 'yes' : 'no',
      ]),
    ),
  );
  out.push('');

  out.push(`### 2. Wall time, ${wall.workload.services} services in ${wall.workload.clusters} clusters`);
  out.push('');
  out.push(
    'Each side runs on a freshly reset and reseeded sandbox, the order alternating between rounds. ecs-roll is timed as a whole ' +
      'process (`node bin/ecs-roll rollout acme/web:1.1 --no-wait --json`, start-up included). The baseline runs in the bench process ' +
      '(no start-up, @aws-sdk/client-ecs, handed the service names so it lists nothing) and, per service in sequence: DescribeServices, ' +
      'DescribeTaskDefinition, and for the matching ones RegisterTaskDefinition + UpdateService (one registration per service, as ' +
      'single-service tools do). Speed-up = median over rounds of baseline / ecs-roll, each pair measured back to back.',
  );
  out.push('');
  const wallRows = (run: WallTime, label: string) => [
    [
      `ecs-roll (CLI process)${label}`,
      run.cliMs.map((value) => value.toFixed(0)).join(', '),
      ms(median(run.cliMs)),
      run.cliCalls.join(', '),
      ratio(run.speedup),
    ],
    [
      `sequential baseline${label}`,
      run.baselineMs.map((value) => value.toFixed(0)).join(', '),
      ms(median(run.baselineMs)),
      String(run.baselineCalls),
      '',
    ],
  ];
  out.push(
    table(
      ['', 'runs (ms)', 'median', 'API calls', 'speed-up'],
      [
        ...wallRows(wall, ', straight to the sandbox'),
        ...(results.modelled === undefined ? [] : wallRows(results.modelled, `, +${results.modelled.latencyMs} ms per call`)),
      ],
    ),
  );
  out.push('');
  out.push(
    `Speed-up straight to the sandbox ${ratio(wall.speedup)} (target ≥ ${TARGETS.speedup}×)` +
      (results.modelled === undefined
        ? '. '
        : `; with ${results.modelled.latencyMs} ms per call added by a loopback proxy (bench/latency-proxy.ts) ${ratio(results.modelled.speedup)}. `) +
      'Peak RSS of the CLI: ' +
      (wall.cliRssKiB.length > 0 ? wall.cliRssKiB.map((kib) => `${(kib / 1024).toFixed(1)} MiB`).join(', ') : 'not measured') +
      " (GNU time %M, or the process's own resourceUsage().maxRSS where GNU time is missing).",
  );
  out.push('');

  out.push('### 3. Start-up (whole processes)');
  out.push('');
  out.push(`${startup.rounds} rounds, interleaved with a rotating order after one warm-up each; medians.`);
  out.push('');
  out.push(
    table(
      ['command', 'median', 'vs node -e 0'],
      [
        ['`node -e 0`', ms(startup.nodeMs), '1.00×'],
        ['`node bin/ecs-roll --version`', ms(startup.versionMs), ratio(startup.versionRatio)],
        ['`node bin/ecs-roll --help`', ms(startup.helpMs), ratio(startup.helpRatio)],
      ],
    ),
  );
  out.push('');

  out.push('### 4. Lambda package');
  out.push('');
  out.push(
    `\`ecs-roll package --out lambda.zip\`: ${lambda.zipBytes} bytes (${(lambda.zipBytes / 1024).toFixed(1)} KiB; target < 400 KiB); ` +
      `handler.mjs and its chunks inside: ${lambda.bundleBytes} bytes; the import loads handler.mjs and what it imports statically, as a cold start does. Import, ${lambda.rounds} interleaved rounds, fresh \`node --input-type=module -e "await import('./x.mjs')"\` ` +
      `in a temp folder holding the unzipped handler: handler ${ms(lambda.handlerMs)}, empty module ${ms(lambda.emptyMs)}, ${ratio(lambda.importRatio)} (target < 3×).`,
  );
  out.push('');

  out.push('### 5. Webhook receiver (`ecs-roll serve`)');
  out.push('');
  out.push(
    `serve runs as a child process against the (empty) sandbox. Load generator: node http, keep-alive, ${webhook.options.connections} connections, ` +
      `closed loop, ${webhook.options.warmup} warm-up requests, then up to ${webhook.options.requests} requests or ${webhook.options.seconds} s per row. ` +
      `Valid pushes name a repository no service uses; the queue drops a push identical to one already waiting, so ${webhook.jobsFinished} rollouts ran.`,
  );
  out.push('');
  out.push(
    table(
      ['request', 'requests', 'seconds', 'req/s', 'p50', 'p99', 'max'],
      webhook.scenarios.map((scenario) => [
        scenario.name,
        String(scenario.completed),
        scenario.seconds.toFixed(1),
        scenario.perSecond.toFixed(0),
        ms(scenario.p50),
        ms(scenario.p99),
        ms(scenario.max),
      ]),
    ),
  );
  if (results.sideBySide !== undefined) out.push('', ...sideBySideSection(results.sideBySide));
  return out.join('\n');
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

export function sideBySideSection(rows: readonly SideBySideRow[]): string[] {
  return [
    '### 6. Side by side with a per-service deploy tool',
    '',
    'Both tools measured in this same run, on the same machine and sandbox, each on a freshly seeded estate: every service runs ' +
      'acme/web:1.0 on a task definition family of its own (as a per-service tool is used), ten services per cluster. ' +
      'ecs-roll: `node bin/ecs-roll rollout acme/web:1.1 --no-wait --json`, one process for the whole estate. ' +
      'Per-service tool: `node bench/per-service-deploy.mjs`, which does what fabfuel/ecs-deploy does for one service ' +
      '(DescribeServices, DescribeTaskDefinition, RegisterTaskDefinition, UpdateService, DeregisterTaskDefinition of the old revision), ' +
      'run once per service, one after another, each a fresh node process that pays the SDK start-up; it is handed the service names, so it lists nothing. ' +
      'Wall time is the sum of its processes; its peak memory is the largest of them. Only the ratios mean anything: ' +
      'they are taken within one run, on two cores shared with other work, against an emulator.',
    '',
    table(
      [
        'services (clusters)',
        'API calls: per-service / ecs-roll (bound)',
        'wall time',
        'peak RSS',
        'calls ratio',
        'wall-time ratio',
        'peak-memory ratio',
      ],
      rows.map((row) => [
        `${row.workload.services} (${row.workload.clusters})`,
        `${row.perService.calls} / ${row.ecsRoll.calls} (${row.bound})`,
        `${ms(row.perService.ms)} / ${ms(row.ecsRoll.ms)}`,
        `${mib(row.perService.peakRssKiB)} / ${mib(row.ecsRoll.peakRssKiB)}`,
        ratio(row.perService.calls / row.ecsRoll.calls),
        ratio(row.perService.ms / row.ecsRoll.ms),
        ratio(row.perService.peakRssKiB / row.ecsRoll.peakRssKiB),
      ]),
    ),
    '',
    'Ratios are per-service tool / ecs-roll: above 1× ecs-roll used fewer calls, less time or less memory. ' +
      'Reproduce with `npm run bench` (this section alone: `npx tsx bench/run.ts --side-by-side-only`, which prints and writes nothing).',
  ];
}

/** The hand-written part, used only when BENCHMARKS.md has none yet; once the file exists its own text is kept. */
export const NOTES = `## Reading the numbers

(Hand-written; \`npm run bench\` keeps everything outside the generated block.)

The sandbox serialises every API call behind one lock in one Python process, on the same two cores as node: it
is a stand-in for call counts and for relative timings measured in the same run, not for AWS latencies.
`;

export function writeReport(path: string, results: Results): void {
  const block = `${BEGIN}\n${generated(results)}\n${END}`;
  if (existsSync(path)) {
    const current = readFileSync(path, 'utf8');
    const begin = current.indexOf(BEGIN);
    const end = current.indexOf(END);
    if (begin !== -1 && end > begin) {
      writeFileSync(path, current.slice(0, begin) + block + current.slice(end + END.length));
      return;
    }
  }
  writeFileSync(path, `# Benchmarks\n\n${block}\n\n${NOTES}`);
}
