/**
 * Failpoints for crash tests, in the style of etcd's gofail: named places in the pipeline where a
 * test makes the agent die (SIGKILL, no cleanup) at the exact moment whose safety it wants to
 * prove, instead of hoping a kill from outside lands there. Off unless configured; main.ts reads
 * the spec from RIVULET_FAILPOINTS and passes the real kill.
 *   RIVULET_FAILPOINTS="after-append=kill@120"  dies on the 120th durable append, after the write
 *                                               and before the source acknowledges it
 */
import { RivuletError } from '@rivulet/shared';

export const FAILPOINT_NAMES = ['after-append'] as const;
export type FailpointName = (typeof FAILPOINT_NAMES)[number];

export interface Failpoints {
  hit(name: FailpointName): void;
}

export const NO_FAILPOINTS: Failpoints = { hit: () => undefined };

/** Parses `name=kill@N[,name=kill@N]`; throws on anything else, so a typo cannot disarm a test. */
export function parseFailpoints(spec: string | undefined, kill: () => void): Failpoints {
  if (!spec) return NO_FAILPOINTS;
  const remaining = new Map<string, number>();
  for (const part of spec.split(',')) {
    const m = /^([a-z-]+)=kill@(\d+)$/.exec(part.trim());
    if (!m || !(FAILPOINT_NAMES as readonly string[]).includes(m[1]!) || Number(m[2]) < 1) {
      throw new RivuletError('AGENT_CONFIG', { message: `RIVULET_FAILPOINTS: "${part}" is not <${FAILPOINT_NAMES.join('|')}>=kill@<n ≥ 1>` });
    }
    remaining.set(m[1]!, Number(m[2]));
  }
  return {
    hit(name) {
      const left = remaining.get(name);
      if (left === undefined) return;
      if (left <= 1) kill();
      remaining.set(name, left - 1);
    },
  };
}
