/**
 * Every item of every page an SDK paginator yields (paginateListClusters and the like follow nextToken
 * until the last page): https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/introduction/#paginators
 */
export async function allItems<P, T>(pages: AsyncIterable<P>, items: (page: P) => readonly T[] | undefined): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...(items(page) ?? []));
  return all;
}
