/**
 * The folders of src/ depend one way (core ← aws ← app ← the front ends): a cycle between two folders
 * means neither can be understood, tested or changed without the other. Every import counts, static,
 * dynamic and type-only, since a type-only import still ties one folder's meaning to the other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function folderOf(file: string): string {
  return relative(SRC, file).split(sep)[0] ?? '';
}

/** Folder → the folders its files import from (relative imports only: packages are not folders of src). */
function folderGraph(files: readonly string[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const specifier = /(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g;
  for (const file of files) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const match of readFileSync(file, 'utf8').matchAll(specifier)) {
      const target = resolve(dirname(file), match[1] ?? '');
      if (!target.startsWith(SRC + sep)) continue;
      const to = folderOf(target);
      if (to !== from && !to.includes('.')) edges.add(to);
    }
  }
  return graph;
}

/** Every cycle as the list of folders on it, found by a depth-first walk from each folder. */
function folderCycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles = new Map<string, string[]>();
  const walk = (path: string[]) => {
    const last = path.at(-1) as string;
    for (const next of graph.get(last) ?? []) {
      const seen = path.indexOf(next);
      if (seen !== -1) {
        const cycle = path.slice(seen);
        cycles.set([...cycle].sort().join(','), [...cycle, next]);
      } else walk([...path, next]);
    }
  };
  for (const folder of graph.keys()) walk([folder]);
  return [...cycles.values()];
}

describe('folder dependencies', () => {
  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(folderCycles(graph)).toEqual([['a', 'b', 'c', 'a']]);
    expect(
      folderCycles(
        new Map([
          ['a', new Set(['b'])],
          ['b', new Set<string>()],
        ]),
      ),
    ).toEqual([]);
  });

  it('src/ has no import cycle between folders', () => {
    const graph = folderGraph(sourceFiles(SRC));
    expect(graph.get('core')).toEqual(new Set());
    expect(folderCycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });
});
