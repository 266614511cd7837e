/**
 * Analytics: the SQL applications; for the selected one its status and live numbers (lag, rows
 * in and out, errors from /metrics), the SQL editor (UpdateApplication, with syntax errors shown
 * in place), start and stop, and a live table of its output stream.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, awsJson, fromBase64, streamNameFromArn } from '../api.js';
import { usePoll } from '../use-poll.js';
import { displayData, formatDuration, formatTime } from '../format.js';
import { latestRate, METRICS, useMetrics } from '../metrics.js';
import { sumOf } from '../prom-text.js';
import { codeErrorFrom, SqlEditor, type CodeError } from './sql-editor.js';
import { useStreamTail } from './stream-tail.js';

interface ApplicationSummary {
  ApplicationName: string;
  ApplicationStatus: string;
}
interface ApplicationDetail {
  ApplicationName: string;
  ApplicationStatus: string;
  ApplicationVersionId: number;
  ApplicationCode?: string;
  ApplicationDescription?: string;
  InputDescriptions?: { InputId: string; NamePrefix?: string; KinesisStreamsInputDescription?: { ResourceARN: string }; KinesisFirehoseInputDescription?: { ResourceARN: string } }[];
  OutputDescriptions?: { OutputId: string; Name: string; KinesisStreamsOutputDescription?: { ResourceARN: string }; KinesisFirehoseOutputDescription?: { ResourceARN: string } }[];
}

export function AnalyticsPage() {
  const [apps, setApps] = useState<ApplicationSummary[] | null>(null);
  const [selected, setSelected] = useState<string | null>(new URLSearchParams(location.search).get('app'));
  const error = usePoll(
    async () => {
      const out = await awsJson<{ ApplicationSummaries: ApplicationSummary[] }>('analytics', 'ListApplications', { Limit: 50 });
      setApps(out.ApplicationSummaries);
      setSelected((s) => (s !== null && out.ApplicationSummaries.some((a) => a.ApplicationName === s) ? s : (out.ApplicationSummaries[0]?.ApplicationName ?? null)));
    },
    5000,
    [],
  );
  return (
    <div class="split">
      <aside class="list" aria-label="applications">
        {error && <p class="error">{error}</p>}
        {apps?.length === 0 && <p class="muted">No applications yet.</p>}
        {apps?.map((a) => (
          <button type="button" key={a.ApplicationName} class={a.ApplicationName === selected ? 'item active' : 'item'} data-app={a.ApplicationName} onClick={() => setSelected(a.ApplicationName)}>
            {a.ApplicationName}
            <small class="muted"> {a.ApplicationStatus}</small>
          </button>
        ))}
      </aside>
      <section class="detail">{selected && <ApplicationView key={selected} name={selected} />}</section>
    </div>
  );
}

function ApplicationView({ name }: { name: string }) {
  const [detail, setDetail] = useState<ApplicationDetail | null>(null);
  const [code, setCode] = useState<string | null>(null);
  const [dirty, setDirty] = useState(false);
  const [codeError, setCodeError] = useState<CodeError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { history } = useMetrics();

  const describe = async () => {
    const out = await awsJson<{ ApplicationDetail: ApplicationDetail }>('analytics', 'DescribeApplication', { ApplicationName: name });
    setDetail(out.ApplicationDetail);
    return out.ApplicationDetail;
  };
  useEffect(() => {
    describe().then(
      (d) => setCode(d.ApplicationCode ?? ''),
      (err: unknown) => setError(String(err)),
    );
    const timer = setInterval(() => void describe().catch((err: unknown) => setError(String(err))), 3000);
    return () => clearInterval(timer);
  }, [name]);

  const act = async (what: string, run: () => Promise<unknown>) => {
    setBusy(true);
    setNotice(null);
    setError(null);
    try {
      await run();
      const d = await describe();
      setNotice(`${what}: ${d.ApplicationStatus}, version ${d.ApplicationVersionId}`);
    } catch (err) {
      if (err instanceof ApiError && err.type === 'CodeValidationException') setCodeError(codeErrorFrom(err.message));
      else setError(err instanceof ApiError ? `${err.type}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };

  const save = () =>
    act('Saved', async () => {
      if (!detail || code === null) return;
      setCodeError(null);
      await awsJson('analytics', 'UpdateApplication', {
        ApplicationName: name,
        CurrentApplicationVersionId: detail.ApplicationVersionId,
        ApplicationUpdate: { ApplicationCodeUpdate: code },
      });
      setDirty(false);
    });
  const start = () =>
    act('Started', () =>
      awsJson('analytics', 'StartApplication', {
        ApplicationName: name,
        InputConfigurations: (detail?.InputDescriptions ?? []).map((i) => ({ Id: i.InputId, InputStartingPositionConfiguration: { InputStartingPosition: 'NOW' } })),
      }),
    );
  const stop = () => act('Stopped', () => awsJson('analytics', 'StopApplication', { ApplicationName: name }));

  const where = { application: name };
  const latest = history[history.length - 1]?.samples ?? [];
  const outputStream = detail?.OutputDescriptions?.find((o) => o.KinesisStreamsOutputDescription)?.KinesisStreamsOutputDescription?.ResourceARN;
  const running = detail?.ApplicationStatus === 'RUNNING' || detail?.ApplicationStatus === 'STARTING';
  return (
    <div>
      <h2>{name}</h2>
      {detail && (
        <dl class="facts">
          <dt>Status</dt>
          <dd data-app-status>{detail.ApplicationStatus}</dd>
          <dt>Version</dt>
          <dd>{detail.ApplicationVersionId}</dd>
          <dt>Inputs</dt>
          <dd>
            {(detail.InputDescriptions ?? [])
              .map((i) => `${i.NamePrefix ?? 'SOURCE_SQL_STREAM'} ← ${streamNameFromArn(i.KinesisStreamsInputDescription?.ResourceARN ?? i.KinesisFirehoseInputDescription?.ResourceARN ?? '?')}`)
              .join(', ') || '–'}
          </dd>
          <dt>Outputs</dt>
          <dd>{(detail.OutputDescriptions ?? []).map((o) => `${o.Name} → ${streamNameFromArn(o.KinesisStreamsOutputDescription?.ResourceARN ?? o.KinesisFirehoseOutputDescription?.ResourceARN ?? '?')}`).join(', ') || '–'}</dd>
          <dt>Lag</dt>
          <dd>{formatDuration(sumOf(latest, METRICS.analyticsLag, where) * 1000)}</dd>
          <dt>Rows in / out</dt>
          <dd>
            {latestRate(history, (s) => sumOf(s, METRICS.analyticsIn, where)).toFixed(1)} / {latestRate(history, (s) => sumOf(s, METRICS.analyticsOut, where)).toFixed(1)} rows/s
          </dd>
          <dt>Errors</dt>
          <dd>{sumOf(latest, METRICS.analyticsErrors, where)} rows to error_stream</dd>
        </dl>
      )}
      <div class="toolbar">
        <button type="button" onClick={() => void save()} disabled={busy || code === null} data-action="save">
          Save SQL{dirty ? ' *' : ''}
        </button>
        <button type="button" onClick={() => void start()} disabled={busy || running} data-action="start">
          Start
        </button>
        <button type="button" onClick={() => void stop()} disabled={busy || !running} data-action="stop">
          Stop
        </button>
        {notice && <span class="ok">{notice}</span>}
      </div>
      {error && <p class="error">{error}</p>}
      {code !== null && (
        <SqlEditor
          value={code}
          error={codeError}
          onInput={(v) => {
            setCode(v);
            setDirty(true);
          }}
        />
      )}
      {outputStream && <OutputTable stream={streamNameFromArn(outputStream)} />}
    </div>
  );
}

function OutputTable({ stream }: { stream: string }) {
  const [since] = useState(() => Date.now() - 10 * 60_000);
  const { records, error } = useStreamTail(stream, since, 50);
  const rows = records.map((r) => {
    const data = displayData(fromBase64(r.Data));
    let fields: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(data.text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>;
    } catch {
      fields = null;
    }
    return { record: r, fields, text: data.text };
  });
  const columns = [...new Set(rows.flatMap((r) => (r.fields ? Object.keys(r.fields) : [])))];
  return (
    <section aria-label="output stream">
      <h3>
        Output stream <code>{stream}</code> <span class="live">● live</span>
      </h3>
      {error && <p class="error">{error}</p>}
      {rows.length === 0 && <p class="muted">No output rows in the last 10 minutes yet.</p>}
      <table class="grid output-table" data-rows={rows.length}>
        <thead>
          <tr>
            <th>Arrival</th>
            {columns.length > 0 ? columns.map((c) => <th key={c}>{c}</th>) : <th>Data</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map(({ record, fields, text }) => (
            <tr key={record.SequenceNumber}>
              <td>{formatTime(record.ApproximateArrivalTimestamp * 1000)}</td>
              {columns.length > 0 ? columns.map((c) => <td key={c}>{fields ? cell(fields[c]) : text}</td>) : <td>{text}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A column value for the table: fractions to 3 decimals, the rest as they are. */
function cell(value: unknown): string {
  if (typeof value === 'number' && !Number.isInteger(value)) return value.toFixed(3);
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
