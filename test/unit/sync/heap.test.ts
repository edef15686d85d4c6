import { getHeapStatistics } from 'node:v8';
import { HELD_FROM, HeapCeiling, LOOK_EVERY, SLACK_BYTES, collectAfterRead } from '../../../src/sync/heap';

const used = (): number => getHeapStatistics().used_heap_size;

describe('HeapCeiling (a long send keeps its heap near its live data)', () => {
  it('is only for sends of HELD_FROM operations or more', () => {
    expect(HeapCeiling.forSend(HELD_FROM - 1)).toBeUndefined();
    expect(HeapCeiling.forSend(HELD_FROM)).toBeInstanceOf(HeapCeiling);
  });

  it('collects once the heap has grown SLACK_BYTES past the live data, looking every LOOK_EVERY operations', () => {
    const ceiling = HeapCeiling.forSend(HELD_FROM) as HeapCeiling;
    // Garbage that reaches the old generation: held through several scavenges, then let go.
    let held: string[] | undefined = [];
    for (let i = 0; i < 1_200_000; i += 1) held.push(`garbage ${i} ${'x'.repeat(40)}`);
    held = undefined;
    expect(held).toBeUndefined();
    ceiling.tick(LOOK_EVERY - 1);
    expect(ceiling.collections).toBe(1);
    const before = used();
    ceiling.tick(1);
    if (before >= ceiling.live + SLACK_BYTES || ceiling.collections > 1) {
      // V8 had not collected it on its own: the ceiling did.
      expect(ceiling.collections).toBe(2);
      expect(used()).toBeLessThan(before - 50 * 1024 * 1024);
    }
    expect(used()).toBeLessThan(ceiling.live + SLACK_BYTES);
  });
});

describe('collectAfterRead (a large read leaves its garbage behind)', () => {
  it('collects after HELD_FROM entries or more, and only then', () => {
    expect(collectAfterRead(HELD_FROM - 1)).toBe(false);
    // Garbage that reaches the old generation, as a read's decoded pages do.
    let held: string[] | undefined = [];
    for (let i = 0; i < 1_200_000; i += 1) held.push(`page ${i} ${'x'.repeat(40)}`);
    held = undefined;
    expect(held).toBeUndefined();
    const before = used();
    expect(collectAfterRead(HELD_FROM)).toBe(true);
    expect(used()).toBeLessThan(before - 50 * 1024 * 1024);
  });
});
