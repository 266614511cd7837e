/**
 * Agents: every device that uploads health records (GET /console/api/agents), with last seen,
 * upload backlog, oldest unsent age, CPU, temperature and version; silent devices are flagged.
 */
import { useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { formatBytes, formatDuration, formatNumber, formatTime } from '../format.js';
import { BASE } from '../router.js';
import { usePoll } from '../use-poll.js';

interface AgentView {
  deviceId: string;
  stream: string;
  lastSeenMs: number;
  silentForMs: number;
  silent: boolean;
  wallMs: number;
  intervalMs: number | null;
  cpuPercent: number | null;
  temperatureC: number | null;
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  agentVersion: string;
  rssBytes: number | null;
  buffer: { records: number; bytes: number; oldestUnsentAgeMs: number | null } | null;
}
interface AgentsResponse {
  nowMs: number;
  silentAfterMs: number;
  healthStreams: { name: string; exists: boolean }[];
  devices: AgentView[];
}

export function AgentsPage() {
  const [data, setData] = useState<AgentsResponse | null>(null);
  const error = usePoll(async () => setData(await getJson<AgentsResponse>(`${BASE}/api/agents`)), 2000, []);
  const missing = data?.healthStreams.filter((s) => !s.exists) ?? [];
  return (
    <div>
      {error && <p class="error">{error}</p>}
      {missing.length > 0 && <p class="muted">Health stream{missing.length > 1 ? 's' : ''} not found: {missing.map((s) => s.name).join(', ')}</p>}
      {data && data.devices.length === 0 && <p class="muted">No device has sent a health record yet (streams: {data.healthStreams.map((s) => s.name).join(', ')}).</p>}
      {data && data.devices.length > 0 && (
        <table class="grid agents">
          <thead>
            <tr>
              <th>Device</th>
              <th>State</th>
              <th>Last seen</th>
              <th>Backlog</th>
              <th>Oldest unsent</th>
              <th>CPU</th>
              <th>Temperature</th>
              <th>Memory</th>
              <th>Agent</th>
            </tr>
          </thead>
          <tbody>
            {data.devices.map((d) => (
              <tr key={d.deviceId} class={d.silent ? 'silent' : ''} data-device={d.deviceId} data-silent={String(d.silent)}>
                <td>
                  {d.deviceId}
                  <small class="muted"> {d.stream}</small>
                </td>
                <td>{d.silent ? <span class="badge bad">silent {formatDuration(d.silentForMs)}</span> : <span class="badge good">online</span>}</td>
                <td title={formatTime(d.lastSeenMs)}>
                  {formatDuration(d.silentForMs)} ago
                  {d.intervalMs !== null && <small class="muted"> (every {formatDuration(d.intervalMs)})</small>}
                </td>
                <td>{d.buffer ? `${d.buffer.records} records, ${formatBytes(d.buffer.bytes)}` : '–'}</td>
                <td>{formatDuration(d.buffer?.oldestUnsentAgeMs ?? null)}</td>
                <td>{d.cpuPercent === null ? '–' : `${formatNumber(d.cpuPercent)} %`}</td>
                <td>{d.temperatureC === null ? '–' : `${formatNumber(d.temperatureC)} °C`}</td>
                <td>{d.memoryUsedBytes === null ? '–' : `${formatBytes(d.memoryUsedBytes)} / ${formatBytes(d.memoryTotalBytes)}`}</td>
                <td>
                  {d.agentVersion}
                  {d.rssBytes !== null && <small class="muted"> ({formatBytes(d.rssBytes)} RSS)</small>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
