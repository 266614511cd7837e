/** The login form (auth sigv4): an access key id and its secret, checked by the server. */
import { useState } from 'preact/hooks';
import { ApiError, postJson, type SessionInfo } from '../api.js';
import { BASE } from '../router.js';

export function LoginPage({ onLoggedIn }: { onLoggedIn: (s: SessionInfo) => void }) {
  const [accessKeyId, setId] = useState('');
  const [secretAccessKey, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLoggedIn(await postJson<SessionInfo>(`${BASE}/api/login`, { accessKeyId: accessKeyId.trim(), secretAccessKey }));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login" data-page="login">
      <form onSubmit={(e) => void submit(e)}>
        <h1>Rivulet console</h1>
        <p class="muted">Sign in with an access key from <code>rivulet-ingest keys create</code>.</p>
        <label>
          Access key id
          <input name="accessKeyId" autoComplete="username" value={accessKeyId} onInput={(e) => setId(e.currentTarget.value)} required />
        </label>
        <label>
          Secret access key
          <input name="secretAccessKey" type="password" autoComplete="current-password" value={secretAccessKey} onInput={(e) => setSecret(e.currentTarget.value)} required />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
