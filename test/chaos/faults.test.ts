// The seeded fault picker: reproducible from the seed, silent outside the fault window, near the configured share.
import { describe, expect, it } from 'vitest';
import { createSinkFaultPicker, DEFAULT_RATES } from '../../chaos/faults';
import { createRng } from '../../chaos/rng';

describe('sink fault picker', () => {
  it('draws the same faults for the same seed and different ones for another seed', () => {
    const draw = (seed: number) => {
      const pick = createSinkFaultPicker(createRng(seed), DEFAULT_RATES, () => true);
      return Array.from({ length: 200 }, () => pick('email') ?? '-');
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('injects nothing while the window is closed', () => {
    const pick = createSinkFaultPicker(createRng(1), { ...DEFAULT_RATES, sinkFaultShare: 1 }, () => false);
    expect(Array.from({ length: 100 }, () => pick('sms')).filter(Boolean)).toEqual([]);
  });

  it('faults about the configured share of messages, every kind with weight', () => {
    const pick = createSinkFaultPicker(createRng(3), DEFAULT_RATES, () => true);
    const draws = Array.from({ length: 10_000 }, () => pick('email'));
    const faulted = draws.filter(Boolean);
    expect(faulted.length / draws.length).toBeGreaterThan(0.27);
    expect(faulted.length / draws.length).toBeLessThan(0.33);
    expect(new Set(faulted)).toEqual(new Set(['reject-4xx', 'reject-5xx', 'hang', 'drop-after-accept']));
    const hangs = faulted.filter((f) => f === 'hang').length;
    expect(hangs / faulted.length).toBeGreaterThan(0.05);
    expect(hangs / faulted.length).toBeLessThan(0.15);
  });
});
