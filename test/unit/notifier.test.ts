import { describe, expect, it } from 'vitest';
import type { OutcomeNotice } from '../../src/core/notification.js';
import { parseNotifyTarget } from '../../src/core/notify-target.js';
import { createNotifier, type Deliver, type NotifyLogFields } from '../../src/notify/notifier.js';

const SECRET = 'https://hooks.example.com/services/SECRET-PATH-123';
const notice = (outcome: OutcomeNotice['outcome']): OutcomeNotice => ({
  operation: 'rollout',
  outcome,
  source: 'cli',
  image: 'acme/web:1',
  services: [],
});

/** A delivery that never ends by itself: only the notifier's bound stops it. */
const hang: Deliver = (_target, _body, _document, signal) =>
  new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));

describe('createNotifier', () => {
  it('delivers every document to every target, one target’s documents in order', async () => {
    const seen: string[] = [];
    const deliver: Deliver = async (target, body) => {
      // The first document is slower than the second: order must still hold.
      await new Promise((resolve) => setTimeout(resolve, JSON.parse(body).outcome === 'started' ? 20 : 0));
      seen.push(`${target.kind}:${JSON.parse(body).outcome}`);
    };
    const notifier = createNotifier([parseNotifyTarget(SECRET), parseNotifyTarget('arn:aws:sns:us-east-1:123456789012:t')], {
      log: () => {},
      deliver,
    });
    notifier.notify(notice('started'));
    notifier.notify(notice('completed'));
    await notifier.flush();
    expect(seen.filter((entry) => entry.startsWith('url'))).toEqual(['url:started', 'url:completed']);
    expect(seen.filter((entry) => entry.startsWith('sns'))).toEqual(['sns:started', 'sns:completed']);
  });

  it('logs a failing target without its URL and goes on; a target that hangs is given up on and skipped after', async () => {
    const logs: NotifyLogFields[] = [];
    const failing = parseNotifyTarget(SECRET);
    const hanging = parseNotifyTarget('https://hang.example.com/SECRET-TOO');
    const deliver: Deliver = async (target, body, document, signal) => {
      if (target === hanging) return hang(target, body, document, signal);
      throw new Error(`HTTP 500 from ${SECRET}`);
    };
    const notifier = createNotifier([failing, hanging], { log: (fields) => logs.push(fields), deliver, timeoutMs: 50 });
    notifier.notify(notice('started'));
    notifier.notify(notice('completed'));
    await notifier.flush();
    expect(logs).toEqual(
      [
        {
          level: 'warn',
          event: 'notify-failed',
          target: 'https://hooks.example.com/[redacted]',
          outcome: 'started',
          message: 'HTTP 500 from [redacted]',
        },
        {
          level: 'warn',
          event: 'notify-failed',
          target: 'https://hooks.example.com/[redacted]',
          outcome: 'completed',
          message: 'HTTP 500 from [redacted]',
        },
        {
          level: 'warn',
          event: 'notify-failed',
          target: 'https://hang.example.com/[redacted]',
          outcome: 'started',
          message: 'no answer within 0.05 s',
        },
        {
          level: 'warn',
          event: 'notify-skipped',
          target: 'https://hang.example.com/[redacted]',
          outcome: 'completed',
          message: 'it did not answer earlier in this run',
        },
      ].sort((a, b) => (a.target === b.target ? 0 : a.target < b.target ? 1 : -1)),
    );
    expect(JSON.stringify(logs)).not.toContain('SECRET');
  });

  it('flush returns once every queued document is delivered or logged as not delivered', async () => {
    const logs: NotifyLogFields[] = [];
    let delivered = 0;
    // The first delivery answers at once, the next never does: the chain as a whole would outlast any bound.
    // (No race against the clock: a delivery that answers at once cannot be late, however busy the machine.)
    const slow: Deliver = (target, body, document, signal) => {
      if (delivered === 0) {
        delivered += 1;
        return Promise.resolve();
      }
      return hang(target, body, document, signal);
    };
    const notifier = createNotifier([parseNotifyTarget(SECRET)], { log: (fields) => logs.push(fields), deliver: slow, timeoutMs: 40 });
    for (const outcome of ['started', 'failed', 'rolled-back', 'completed', 'ignored'] as const) notifier.notify(notice(outcome));
    await notifier.flush();
    expect(delivered).toBeGreaterThan(0);
    // Every document is accounted for: delivered, or logged as not delivered.
    expect(logs).toHaveLength(5);
    expect(logs.filter((fields) => fields.event !== 'notified').every((fields) => fields.level === 'warn')).toBe(true);
  });

  it('a notifier without targets does nothing', async () => {
    const notifier = createNotifier([], {
      log: () => {
        throw new Error('no log expected');
      },
    });
    notifier.notify(notice('started'));
    await notifier.flush();
  });
});
