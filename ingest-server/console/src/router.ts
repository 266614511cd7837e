/**
 * Client-side routes under /console/ (the server answers index.html for them): the page name is
 * the first path segment. Owns navigation through the History API; pages hold their own state.
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';
export const PAGES = ['streams', 'video', 'firehose', 'analytics', 'agents'] as const;
export type PageName = (typeof PAGES)[number] | 'login';

export function currentPage(): PageName {
  const rest = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  const first = rest.split('/').filter(Boolean)[0] ?? '';
  if (first === 'login') return 'login';
  return (PAGES as readonly string[]).includes(first) ? (first as PageName) : 'streams';
}

const listeners = new Set<() => void>();

export function navigate(page: PageName, replace = false): void {
  const url = `${BASE}/${page}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const l of listeners) l();
}

export function usePage(): PageName {
  const [page, setPage] = useState(currentPage());
  useEffect(() => {
    const update = () => setPage(currentPage());
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return page;
}
