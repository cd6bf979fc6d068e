import { describe, expect, it } from 'vitest';
import { bool, int, logLevel } from './schemas.js';

describe('bool', () => {
  it('takes booleans from a settings file and true/false/1/0 from the environment', () => {
    expect([true, false, 'true', 'false', '1', '0'].map((v) => bool.parse(v))).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
  });

  it('refuses any other text', () => {
    expect(bool.safeParse('yes').success).toBe(false);
    expect(bool.safeParse('').success).toBe(false);
  });
});

describe('int', () => {
  it('given text of a whole number at or above the minimum, gives the number', () => {
    expect(int(1).parse('42')).toBe(42);
    expect(int(0).parse(0)).toBe(0);
  });

  it('refuses fractions, text that is no number, and numbers below the minimum', () => {
    expect(int(0).safeParse('1.5').success).toBe(false);
    expect(int(0).safeParse('many').success).toBe(false);
    const below = int(100).safeParse('99');
    expect(below.success).toBe(false);
    expect(below.error?.issues[0]?.message).toBe('Too small: expected number to be >=100');
  });

  it('makes a new schema per call, so one bound does not leak into another', () => {
    expect(int(10).safeParse(5).success).toBe(false);
    expect(int(1).safeParse(5).success).toBe(true);
  });
});

describe('logLevel', () => {
  it("takes pino's levels and silent, nothing else", () => {
    expect(logLevel.parse('debug')).toBe('debug');
    expect(logLevel.parse('silent')).toBe('silent');
    expect(logLevel.safeParse('verbose').success).toBe(false);
  });
});
