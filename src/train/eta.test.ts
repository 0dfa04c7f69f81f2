import { describe, expect, it } from 'vitest';
import { EtaClock } from './eta';

/** What the trainer predicted before: elapsed time since the (re)start over the steps done since it. */
const oldEta = (elapsed: number, done: number, left: number) => (elapsed / done) * left;

describe('EtaClock', () => {
  it('after a Resume, predicts from the steps since the resume at their steady rate', () => {
    // resumed at step 280 of 300: the first step compiles shaders (7 s), the others take 0.6 s
    const clock = new EtaClock(300);
    const times = [7, ...Array<number>(19).fill(0.6)];
    clock.step(times[0]);
    clock.step(times[1]);
    const truth = times.slice(2).reduce((a, b) => a + b, 0); // 10.8 s still to go after step 282
    expect(clock.remaining(282)).toBeCloseTo(truth, 6);
    // the old rule was 3.5x off right after the resume
    expect(oldEta(7.6, 2, 18) / truth).toBeGreaterThan(3);
  });

  it('never uses the absolute step (steps before the resume took no time here)', () => {
    const clock = new EtaClock(1000);
    clock.step(1);
    clock.step(1);
    expect(clock.remaining(900)).toBeCloseTo(100, 6);
  });

  it('adds the dev evaluations still to come at their measured length, apart from the steps', () => {
    const clock = new EtaClock(100, 25);
    for (let i = 0; i < 25; i++) clock.step(0.5);
    clock.devEval(10);
    // 75 steps and 3 evaluations (50, 75, 100) left
    expect(clock.remaining(25)).toBeCloseTo(75 * 0.5 + 3 * 10, 6);
  });

  it('gives no estimate from the warm-up step alone, and 0 at the end', () => {
    const clock = new EtaClock(10);
    expect(clock.remaining(0)).toBeNaN();
    clock.step(9); // the warm-up step: 9 x 8 = 72 s would be far off
    expect(clock.remaining(1)).toBeNaN();
    clock.step(0.5);
    expect(clock.remaining(2)).toBeCloseTo(4, 6);
    expect(clock.remaining(10)).toBe(0);
  });
});
