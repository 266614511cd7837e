/**
 * The console's entry: checks the session (auth mode, login), then renders the navigation and
 * the current page. Pages live in pages/; each reads the AWS APIs and /metrics itself.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, onUnauthorized, postJson, type SessionInfo } from './api.js';
import { MetricsContext, MetricsPoller } from './metrics.js';
import { AgentsPage } from './pages/agents.js';
import { AnalyticsPage } from './pages/analytics.js';
import { FirehosePage } from './pages/firehose.js';
import { LoginPage } from './pages/login.js';
import { StreamsPage } from './pages/streams.js';
import { VideoPage } from './pages/video.js';
import { BASE, navigate, PAGES, usePage, type PageName } from './router.js';

const TITLES: Record<(typeof PAGES)[number], string> = {
  streams: 'Data Streams',
  video: 'Video',
  firehose: 'Firehose',
  analytics: 'Analytics',
  agents: 'Agents',
};

function Nav({ page, session, onLogout }: { page: PageName; session: SessionInfo; onLogout: () => void }) {
  return (
    <nav class="nav">
      <div class="brand">Rivulet</div>
      {PAGES.map((p) => (
        <a
          key={p}
          href={`${BASE}/${p}`}
          class={p === page ? 'active' : ''}
          data-page={p}
          onClick={(e) => {
            e.preventDefault();
            navigate(p);
          }}
        >
          {TITLES[p]}
        </a>
      ))}
      <div class="who">
        {session.authMode === 'sigv4' ? (
          <>
            <span title="access key id">{session.accessKeyId}</span>
            <button type="button" class="link" onClick={onLogout}>
              Log out
            </button>
          </>
        ) : (
          <span class="muted">auth off (loopback)</span>
        )}
      </div>
    </nav>
  );
}

function App() {
  const page = usePage();
  const poller = useMemo(() => new MetricsPoller(), []);
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadSession = () =>
    getJson<SessionInfo>(`${BASE}/api/session`).then(
      (s) => {
        setSession(s);
        if (s.authMode === 'sigv4' && s.accessKeyId === null) navigate('login', true);
        else if (page === 'login') navigate('streams', true);
      },
      (err: unknown) => setError(String(err)),
    );

  useEffect(() => {
    void loadSession();
    return onUnauthorized(() => {
      setSession((s) => (s ? { ...s, accessKeyId: null } : s));
      navigate('login', true);
    });
  }, []);

  if (error) return <p class="error">The console could not reach the server: {error}</p>;
  if (!session) return <p class="muted">Loading…</p>;
  const needsLogin = session.authMode === 'sigv4' && session.accessKeyId === null;
  if (needsLogin || page === 'login') {
    return <LoginPage onLoggedIn={(s) => {
      setSession(s);
      navigate('streams', true);
    }} />;
  }
  const logout = () => void postJson<SessionInfo>(`${BASE}/api/logout`, {}).then(() => {
    setSession({ ...session, accessKeyId: null });
    navigate('login', true);
  });
  return (
    <MetricsContext.Provider value={poller}>
      <div class="layout">
        <Nav page={page} session={session} onLogout={logout} />
        <main class="page" data-page={page}>
          <h1>{TITLES[page]}</h1>
          {page === 'streams' && <StreamsPage />}
          {page === 'video' && <VideoPage />}
          {page === 'firehose' && <FirehosePage />}
          {page === 'analytics' && <AnalyticsPage />}
          {page === 'agents' && <AgentsPage />}
        </main>
      </div>
    </MetricsContext.Provider>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
