import { setFlagsFromString } from 'node:v8';

/**
 * A rollout is a burst of small, short-lived allocations (one SDK request and answer per call) over a
 * small set of live data: a few MiB even at 1,000 services. Left to its defaults V8 answers that burst by
 * growing the young generation to 16 MiB per semi-space and letting promoted garbage pile up before a full
 * collection, which is most of the process's peak memory. Keeping the young generation at its starting
 * size and the old one growing by half instead of up to fourfold holds the peak near the live set,
 * for a few more (short) collections. Both are V8 heuristics read at each collection, so setting them
 * once the process runs takes effect; were a future V8 to ignore them, only memory would be larger.
 */
export function keepHeapSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=50');
}
