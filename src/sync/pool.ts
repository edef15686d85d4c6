/**
 * Runs `work` over `items` with at most `concurrency` in flight, in order of index. Before each
 * item `stop()` may give a reason to send nothing more; the items never started are returned.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  stop: () => string | undefined = () => undefined,
): Promise<{ notStarted: number[]; stopReason: string | undefined }> {
  let next = 0;
  let stopReason: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      stopReason ??= stop();
      if (stopReason !== undefined) return;
      const index = next;
      next += 1;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  const notStarted: number[] = [];
  for (let i = next; i < items.length; i += 1) notStarted.push(i);
  return { notStarted, stopReason };
}
