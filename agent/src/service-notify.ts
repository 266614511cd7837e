/**
 * systemd service notifications for `Type=notify` with `WatchdogSec=`: READY=1 once the agent
 * has started, WATCHDOG=1 every half watchdog period while the event loop turns (so a wedged
 * agent is restarted by systemd), STOPPING=1 at shutdown. Outside systemd (no NOTIFY_SOCKET)
 * it does nothing.
 *
 * Node has no AF_UNIX datagram sockets, so each message is sent by running `systemd-notify`;
 * the unit file sets NotifyAccess=all so systemd accepts messages from that child process.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '@rivulet/shared';

export interface NotifyDeps {
  env: NodeJS.ProcessEnv;
  clock: Clock;
  logger: Logger;
  /** Runs `systemd-notify <message>`; resolves with its exit code. */
  run(message: string): Promise<number | null>;
}

export interface ServiceNotifier {
  ready(): void;
  stopping(): void;
  stop(): void;
}

/** Half of WATCHDOG_USEC, in ms, when systemd set a watchdog for this very process. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.NOTIFY_SOCKET || !Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(500, Math.floor(usec / 1000 / 2));
}

export function startServiceNotify(deps: NotifyDeps, pid: number): ServiceNotifier {
  const enabled = Boolean(deps.env.NOTIFY_SOCKET);
  let timer: TimerHandle | null = null;
  let failing = false;
  const send = (message: string) => {
    if (!enabled) return;
    deps.run(message).then(
      (code) => {
        if (code !== 0 && !failing) deps.logger.warn({ message, code }, 'systemd-notify failed');
        failing = code !== 0;
      },
      (err: unknown) => {
        if (!failing) deps.logger.warn({ err, message }, 'systemd-notify could not run');
        failing = true;
      },
    );
  };
  const interval = watchdogIntervalMs(deps.env, pid);
  return {
    ready() {
      send('--ready');
      if (interval !== null) timer = deps.clock.setInterval(() => send('WATCHDOG=1'), interval);
    },
    stopping() {
      timer?.cancel();
      send('STOPPING=1');
    },
    stop() {
      timer?.cancel();
    },
  };
}
