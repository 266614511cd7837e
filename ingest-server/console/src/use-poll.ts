/**
 * usePoll: runs `load` now and every `intervalMs` while the component is mounted (and again from
 * the start when `deps` change), and returns the last failure as text, or null once a load
 * succeeds. Owns the page refresh loop; what a load fetches and stores is the page's business.
 */
import { useEffect, useState } from 'preact/hooks';

export function usePoll(load: () => Promise<void>, intervalMs: number, deps: readonly unknown[]): string | null {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let mounted = true;
    const tick = () =>
      load().then(
        () => mounted && setError(null),
        (err: unknown) => mounted && setError(String(err)),
      );
    void tick();
    const timer = setInterval(() => void tick(), intervalMs);
    return () => {
      mounted = false;
      clearInterval(timer);
    };
  }, deps);
  return error;
}
