import { expect } from 'chai';
import { COOL_DOWN_MS, InFlight } from '../../../../src/core/runner/inFlight.js';

type Part = { id: number; range?: [string, string] };
const overlap = (a: Part, b: Part): boolean => !!a.range && !!b.range && a.range[0] <= b.range[1] && b.range[0] <= a.range[1];

describe('jobs in flight', () => {
  it('hands out parts in queue order up to the limit, and the next one when a part is done', async () => {
    const gate = new InFlight<Part>({ max: 2 });
    const queue: Part[] = [{ id: 1 }, { id: 2 }, { id: 3 }];
    const a = await gate.next(queue);
    const b = await gate.next(queue);
    expect([a?.id, b?.id]).to.deep.equal([1, 2]);
    let third: Part | undefined;
    const waiting = gate.next(queue).then((p) => (third = p));
    await Promise.resolve();
    expect(third, 'two in flight already').to.equal(undefined);
    gate.done(a!);
    await waiting;
    expect(third?.id).to.equal(3);
    expect(await gate.next(queue), 'queue empty').to.equal(undefined);
  });

  it('never runs two conflicting parts at once, and lets other parts go past', async () => {
    const gate = new InFlight<Part>({ max: 5, conflicts: overlap });
    const queue: Part[] = [
      { id: 1, range: ['a', 'c'] },
      { id: 2, range: ['c', 'c'] },
      { id: 3, range: ['c', 'f'] },
      { id: 4, range: ['g', 'h'] },
      { id: 5 },
    ];
    const first = await gate.next(queue);
    const second = await gate.next(queue);
    const third = await gate.next(queue);
    expect([first?.id, second?.id, third?.id]).to.deep.equal([1, 4, 5]);
    let next: Part | undefined;
    const waiting = gate.next(queue).then((p) => (next = p));
    await Promise.resolve();
    expect(next).to.equal(undefined);
    gate.done(first!);
    await waiting;
    expect(next?.id).to.equal(2);
    gate.done(next!);
    expect((await gate.next(queue))?.id).to.equal(3);
  });

  it('keeps parts that conflict with a job left running (the wait ran out) from starting, and stops when only those are left', async () => {
    const gate = new InFlight<Part>({ max: 5, conflicts: overlap });
    const queue: Part[] = [
      { id: 1, range: ['a', 'b'] },
      { id: 2, range: ['b', 'c'] },
      { id: 3, range: ['x', 'y'] },
    ];
    const first = await gate.next(queue);
    gate.done(first!, true);
    const third = await gate.next(queue);
    expect(third?.id, 'part 2 shares b with the job still running').to.equal(3);
    const waiting = gate.next(queue);
    gate.done(third!);
    expect(await waiting, 'part 2 cannot start in this process: left for resume').to.equal(undefined);
    expect(queue.map((p) => p.id)).to.deep.equal([2]);
  });

  it('close() releases every waiter with nothing', async () => {
    const gate = new InFlight<Part>({ max: 1 });
    const queue: Part[] = [{ id: 1 }, { id: 2 }];
    await gate.next(queue);
    const waiting = gate.next(queue);
    gate.close();
    expect(await waiting).to.equal(undefined);
    expect(queue).to.have.length(1);
  });

  it('halves the limit when the estimated lock rate passes 1%, using the share of lock failures of finished jobs', () => {
    let now = 0;
    const gate = new InFlight<Part>({ max: 5, now: (): number => now });
    // Before any job ended every failure counts as a lock failure: 5 failed in 1,000 rows is 0.5%, fine.
    gate.progress('j1', 500, 5);
    gate.progress('j2', 500, 0);
    expect(gate.limit).to.equal(5);
    // 30 failures in the next 1,000 rows: 3%: halved.
    gate.progress('j1', 1000, 35);
    gate.progress('j2', 1000, 0);
    expect(gate.limit).to.equal(2);
    expect(gate.changes.map((c) => c.reason)).to.deep.equal(['UNABLE_TO_LOCK_ROW on 3.0% of the last 1,000 rows']);
    // j1 ends: its 35 failures were validation errors, not locks. j3's failures are now judged by that share.
    now += 1000;
    gate.finished('j1', 1000, 35, 0);
    gate.progress('j3', 1000, 50);
    expect(gate.limit, 'failures that are not lock failures do not lower it').to.equal(2);
  });

  it('goes up one again after a clean stretch and a cool-down, never past the maximum', () => {
    let now = 0;
    const gate = new InFlight<Part>({ max: 3, now: (): number => now });
    gate.progress('j1', 1000, 100);
    expect(gate.limit).to.equal(1);
    gate.finished('j1', 1000, 100, 100);
    now += 1000;
    gate.progress('j2', 2000, 0);
    expect(gate.limit, 'cool-down not over').to.equal(1);
    now += COOL_DOWN_MS;
    gate.progress('j2', 3000, 0);
    expect(gate.limit).to.equal(2);
    now += COOL_DOWN_MS;
    gate.progress('j2', 4000, 0);
    now += COOL_DOWN_MS;
    gate.progress('j2', 5000, 0);
    expect(gate.limit).to.equal(3);
  });

  it('lowers the limit by one per throttled call, at most once per cool-down, never under one', () => {
    let now = 100_000;
    const seen: number[] = [];
    const gate = new InFlight<Part>({ max: 3, now: (): number => now, onChange: (c): number => seen.push(c.limit) });
    gate.throttled();
    gate.throttled();
    expect(gate.limit).to.equal(2);
    now += COOL_DOWN_MS;
    gate.throttled();
    now += COOL_DOWN_MS;
    gate.throttled();
    expect(gate.limit).to.equal(1);
    expect(seen).to.deep.equal([2, 1]);
    expect(gate.changes[0].reason).to.equal('the org throttles requests (REQUEST_LIMIT_EXCEEDED)');
  });
});
