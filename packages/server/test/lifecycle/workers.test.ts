import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { Closers } from '../../src/lifecycle/closers.js';
import { PeriodicWorker } from '../../src/lifecycle/periodic-worker.js';

function capturedLog() {
  const lines: {
    level: number;
    msg: string;
    worker?: string;
    resource?: string;
    err?: { message: string };
  }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

describe('the stack of closers', () => {
  it('closes newest-first, each finished before the next starts', async () => {
    const { log } = capturedLog();
    const closers = new Closers(log);
    const events: string[] = [];
    for (const name of ['storage', 'signals', 'worker']) {
      closers.push(name, async () => {
        events.push(`${name} closing`);
        await sleep(10);
        events.push(`${name} closed`);
      });
    }
    await closers.unwind();
    expect(events).toEqual([
      'worker closing',
      'worker closed',
      'signals closing',
      'signals closed',
      'storage closing',
      'storage closed',
    ]);
  });

  it('goes on past a closer that fails, logs it, and throws the first failure at the end', async () => {
    const { log, lines } = capturedLog();
    const closers = new Closers(log);
    const closed: string[] = [];
    closers.push('storage', () => {
      closed.push('storage');
    });
    closers.push('signals', () => {
      throw new Error('signals would not close');
    });
    closers.push('audit trail', async () => {
      throw new Error('audit trail would not close');
    });
    await expect(closers.unwind()).rejects.toThrow('audit trail would not close');
    expect(closed).toEqual(['storage']);
    expect(lines.filter((l) => l.level === 50).map((l) => [l.resource, l.err?.message])).toEqual([
      ['audit trail', 'audit trail would not close'],
      ['signals', 'signals would not close'],
    ]);
    // Unwound once: a second close has nothing left to do.
    await closers.unwind();
    expect(closed).toEqual(['storage']);
  });
});

describe('a periodic worker', () => {
  it('never overlaps passes, logs a failed one with its name, and goes on', async () => {
    const { log, lines } = capturedLog();
    let running = 0;
    let most = 0;
    let passes = 0;
    const worker = new PeriodicWorker({
      name: 'test job',
      intervalMs: 5,
      runAtStart: true,
      log,
      pass: async () => {
        running++;
        most = Math.max(most, running);
        passes++;
        await sleep(20);
        running--;
        if (passes === 1) throw new Error('the first pass breaks');
      },
    });
    worker.start();
    await vi.waitFor(() => expect(passes).toBeGreaterThanOrEqual(3));
    await worker.stop();
    expect(most).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        worker: 'test job',
        err: expect.objectContaining({ message: 'the first pass breaks' }),
      }),
    );
    const after = passes;
    await sleep(30);
    expect(passes).toBe(after);
  });

  it('stop waits for the pass under way, tells it to stop, and runs a last pass when asked to', async () => {
    const { log } = capturedLog();
    const events: string[] = [];
    let release: () => void = () => {};
    const worker = new PeriodicWorker({
      name: 'flusher',
      intervalMs: 60_000,
      runOnStop: true,
      log,
      pass: async (stopping) => {
        events.push(`pass (stopping: ${stopping()})`);
        if (events.length === 1) await new Promise<void>((resolve) => (release = resolve));
        events.push('pass done');
      },
    });
    worker.start();
    const first = worker.run();
    const stopped = worker.stop().then(() => events.push('stopped'));
    await sleep(10);
    expect(events).toEqual(['pass (stopping: false)']);
    release();
    await Promise.all([first, stopped]);
    expect(events).toEqual([
      'pass (stopping: false)',
      'pass done',
      'pass (stopping: true)',
      'pass done',
      'stopped',
    ]);
  });

  it('run rejects to its caller and waits for the pass under way before its own', async () => {
    const { log, lines } = capturedLog();
    let n = 0;
    const worker = new PeriodicWorker({
      name: 'sweeper',
      intervalMs: 60_000,
      log,
      pass: async () => {
        const mine = ++n;
        await sleep(10);
        if (mine === 1) throw new Error('first sweep fails');
        return mine;
      },
    });
    const first = worker.run();
    const second = worker.run();
    await expect(first).rejects.toThrow('first sweep fails');
    expect(await second).toBe(2);
    // The caller got the failure; it is not logged as well.
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    await worker.stop();
  });
});
