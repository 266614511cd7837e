#!/usr/bin/env node
/**
 * rivulet CLI entry point: the only place that reads argv, env, stdin/stdout, the real clock and
 * signals. Ctrl-C (or SIGTERM) aborts the running command, which stops cleanly (tail exits 0);
 * a second Ctrl-C exits 130 at once.
 */
import { systemClock, type Clock } from '@rivulet/shared';
import { runCli } from './cli.js';

// The SDK's notice about future Node versions would break the one-line stderr contract.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The system clock with referenced timers: systemClock unrefs them (right for a server), but a
 * CLI waiting between polls has nothing else keeping it alive.
 */
const clock: Clock = {
  ...systemClock,
  setTimer(fn, delayMs) {
    const t = setTimeout(fn, delayMs);
    return { cancel: () => clearTimeout(t) };
  },
};

const controller = new AbortController();
let interrupts = 0;
const onSignal = () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `rivulet tail s | head` closes stdout: stop quietly, as other Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  clock,
  signal: controller.signal,
});
process.exitCode = code;
// Let stdout drain, then leave even if a keep-alive socket lingers.
process.stdout.write('', () => process.exit(code));
