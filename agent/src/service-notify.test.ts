import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@rivulet/shared';
import { startServiceNotify, watchdogIntervalMs } from './service-notify.js';

const logger = pino({ level: 'silent' });

describe('systemd service notifications', () => {
  it('pings the watchdog every half period after READY, and stops at shutdown', async () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const env = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '20000000', WATCHDOG_PID: '42' };
    const n = startServiceNotify({ env, clock, logger, run: async (m) => (sent.push(m), 0) }, 42);
    n.ready();
    clock.advance(10_000);
    clock.advance(10_000);
    n.stopping();
    clock.advance(30_000);
    expect(sent).toEqual(['--ready', 'WATCHDOG=1', 'WATCHDOG=1', 'STOPPING=1']);
  });

  it('does nothing outside systemd, and ignores a watchdog meant for another process', () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const n = startServiceNotify({ env: {}, clock, logger, run: async (m) => (sent.push(m), 0) }, 1);
    n.ready();
    clock.advance(60_000);
    expect(sent).toEqual([]);
    expect(watchdogIntervalMs({ NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '20000000', WATCHDOG_PID: '7' }, 8)).toBeNull();
    expect(watchdogIntervalMs({ NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '20000000' }, 8)).toBe(10_000);
  });
});
