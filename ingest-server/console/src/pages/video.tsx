/**
 * Video: the Kinesis Video streams; for the selected one a fragment timeline (last 10 minutes),
 * HLS playback of live or recorded video with hls.js, thumbnails from GetImages, and a clip
 * download through GetClip.
 */
import Hls from 'hls.js/light';
import { useEffect, useRef, useState } from 'preact/hooks';
import { restJson, restRaw } from '../api.js';
import { usePoll } from '../use-poll.js';
import { formatBytes, formatDuration, formatTime } from '../format.js';

interface VideoStreamInfo {
  StreamName: string;
  Status?: string;
  MediaType?: string;
  DataRetentionInHours?: number;
  CreationTime?: number;
}
interface Fragment {
  FragmentNumber: string;
  FragmentSizeInBytes: number;
  ServerTimestamp: number;
  ProducerTimestamp: number;
  FragmentLengthInMilliseconds: number;
}
interface Image {
  TimeStamp: number;
  Error?: string;
  ImageContent?: string;
}

const WINDOW_MS = 10 * 60_000;
const RETRY_MS = 3000;
type Playback = { mode: 'LIVE' } | { mode: 'ON_DEMAND'; fromMs: number; toMs: number };

export function VideoPage() {
  const [streams, setStreams] = useState<VideoStreamInfo[] | null>(null);
  const [selected, setSelected] = useState<string | null>(new URLSearchParams(location.search).get('stream'));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    restJson<{ StreamInfoList: VideoStreamInfo[] }>('/listStreams', {}).then(
      (out) => {
        setStreams(out.StreamInfoList);
        setSelected((s) => (s !== null && out.StreamInfoList.some((v) => v.StreamName === s) ? s : (out.StreamInfoList[0]?.StreamName ?? null)));
      },
      (err: unknown) => setError(String(err)),
    );
  }, []);
  return (
    <div class="split">
      <aside class="list" aria-label="video streams">
        {error && <p class="error">{error}</p>}
        {streams?.length === 0 && <p class="muted">No video streams yet.</p>}
        {streams?.map((s) => (
          <button type="button" key={s.StreamName} class={s.StreamName === selected ? 'item active' : 'item'} data-video-stream={s.StreamName} onClick={() => setSelected(s.StreamName)}>
            {s.StreamName}
            <small class="muted"> {s.MediaType ?? ''}</small>
          </button>
        ))}
      </aside>
      <section class="detail">{selected && <VideoDetail key={selected} name={selected} />}</section>
    </div>
  );
}

function VideoDetail({ name }: { name: string }) {
  const [fragments, setFragments] = useState<Fragment[]>([]);
  const [windowEndMs, setWindowEnd] = useState(Date.now());
  const [playback, setPlayback] = useState<Playback>({ mode: 'LIVE' });
  const error = usePoll(
    async () => {
      const endMs = Date.now();
      const out = await restJson<{ Fragments: Fragment[] }>('/listFragments', {
        StreamName: name,
        MaxResults: 1000,
        FragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: (endMs - WINDOW_MS) / 1000, EndTimestamp: endMs / 1000 } },
      });
      setFragments(out.Fragments);
      setWindowEnd(endMs);
    },
    5000,
    [name],
  );

  const startMs = windowEndMs - WINDOW_MS;
  const newest = fragments.reduce((m, f) => Math.max(m, f.ServerTimestamp * 1000), 0);
  return (
    <div>
      <h2>{name}</h2>
      {error && <p class="error">{error}</p>}
      <p class="muted">
        {fragments.length} fragments in the last 10 minutes
        {newest > 0 && <> · newest {formatDuration(windowEndMs - newest)} ago</>}
      </p>
      <div class="timeline" aria-label="fragment timeline" data-fragments={fragments.length}>
        {fragments.map((f) => {
          const at = f.ServerTimestamp * 1000;
          return (
            <button
              type="button"
              key={f.FragmentNumber}
              class="fragment"
              title={`${f.FragmentNumber}\n${formatTime(at)} · ${formatDuration(f.FragmentLengthInMilliseconds)} · ${formatBytes(f.FragmentSizeInBytes)}`}
              style={{ left: `${((at - startMs) / WINDOW_MS) * 100}%`, width: `${Math.max(0.2, (f.FragmentLengthInMilliseconds / WINDOW_MS) * 100)}%` }}
              onClick={() => setPlayback({ mode: 'ON_DEMAND', fromMs: at, toMs: Math.min(windowEndMs, at + 5 * 60_000) })}
            />
          );
        })}
      </div>
      <div class="toolbar">
        <button type="button" class={playback.mode === 'LIVE' ? 'active' : ''} onClick={() => setPlayback({ mode: 'LIVE' })}>
          Live
        </button>
        <button type="button" class={playback.mode === 'ON_DEMAND' ? 'active' : ''} onClick={() => setPlayback({ mode: 'ON_DEMAND', fromMs: Date.now() - 2 * 60_000, toMs: Date.now() })}>
          Last 2 minutes
        </button>
        <span class="muted">or click a fragment on the timeline</span>
      </div>
      <Player stream={name} playback={playback} />
      <ClipDownload stream={name} />
      <Thumbnails stream={name} oldestMs={fragments.reduce((m, f) => Math.min(m, f.ServerTimestamp * 1000), Infinity)} />
    </div>
  );
}

function Player({ stream, playback }: { stream: string; playback: Playback }) {
  const video = useRef<HTMLVideoElement>(null);
  const [status, setStatus] = useState('starting');
  // A failed start (no fragments yet, a fatal player error) is retried after RETRY_MS.
  const [attempt, setAttempt] = useState(0);
  const key = playback.mode === 'LIVE' ? 'LIVE' : `${playback.fromMs}-${playback.toMs}`;

  useEffect(() => {
    const el = video.current;
    if (!el) return;
    let hls: Hls | null = null;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const failed = (why: string) => {
      if (cancelled) return;
      setStatus(`${why}; retrying`);
      clearTimeout(retry);
      retry = setTimeout(() => setAttempt((a) => a + 1), RETRY_MS);
    };
    setStatus('requesting a session');
    const body: Record<string, unknown> = { StreamName: stream, PlaybackMode: playback.mode, ContainerFormat: 'FRAGMENTED_MP4' };
    if (playback.mode === 'ON_DEMAND') {
      body.HLSFragmentSelector = { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: playback.fromMs / 1000, EndTimestamp: playback.toMs / 1000 } };
    }
    restJson<{ HLSStreamingSessionURL: string }>('/getHLSStreamingSessionURL', body).then(
      ({ HLSStreamingSessionURL: url }) => {
        if (cancelled) return;
        setStatus(playback.mode === 'LIVE' ? 'live' : 'recorded');
        if (Hls.isSupported()) {
          hls = new Hls({ liveSyncDurationCount: 2, enableWorker: true });
          hls.on(Hls.Events.ERROR, (_e, data) => {
            if (data.fatal) failed(`playback error: ${data.details}`);
          });
          hls.loadSource(url);
          hls.attachMedia(el);
        } else {
          el.src = url;
        }
        void el.play().catch(() => undefined);
      },
      (err: unknown) => failed(`no playback: ${String(err)}`),
    );
    return () => {
      cancelled = true;
      clearTimeout(retry);
      hls?.destroy();
      el.removeAttribute('src');
    };
  }, [stream, key, attempt]);

  return (
    <figure class="player">
      <video ref={video} data-playback={playback.mode} muted autoplay playsInline controls />
      <figcaption data-player-status>{status}</figcaption>
    </figure>
  );
}

function ClipDownload({ stream }: { stream: string }) {
  const [seconds, setSeconds] = useState(30);
  const [link, setLink] = useState<{ url: string; name: string; bytes: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => () => link && URL.revokeObjectURL(link.url), [link]);
  const make = async () => {
    setBusy(true);
    setError(null);
    try {
      const end = Date.now();
      const res = await restRaw('/getClip', {
        StreamName: stream,
        ClipFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: { StartTimestamp: (end - seconds * 1000) / 1000, EndTimestamp: end / 1000 } },
      });
      const blob = await res.blob();
      const stamp = new Date(end).toISOString().replace(/[:.]/g, '-');
      setLink({ url: URL.createObjectURL(blob), name: `${stream}-${stamp}.mp4`, bytes: blob.size });
    } catch (err) {
      setError(String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="toolbar clip">
      <label>
        Clip of the last
        <input type="number" min={1} max={600} value={seconds} onInput={(e) => setSeconds(Number(e.currentTarget.value))} /> s
      </label>
      <button type="button" onClick={() => void make()} disabled={busy}>
        {busy ? 'Making clip…' : 'Make clip'}
      </button>
      {link && (
        <a href={link.url} download={link.name} data-clip-link>
          Download {link.name} ({formatBytes(link.bytes)})
        </a>
      )}
      {error && <span class="error">{error}</span>}
    </div>
  );
}

const THUMBS = 6;
const THUMB_WINDOW_MS = 60_000;

/** Up to six frames spread over the last minute, or over what the stream holds when it is younger. */
function Thumbnails({ stream, oldestMs }: { stream: string; oldestMs: number }) {
  const [images, setImages] = useState<Image[]>([]);
  const [error, setError] = useState<string | null>(null);
  const oldest = useRef(oldestMs);
  oldest.current = oldestMs;
  const load = async () => {
    const end = Date.now();
    const start = Math.max(end - THUMB_WINDOW_MS, Number.isFinite(oldest.current) ? oldest.current : end - THUMB_WINDOW_MS);
    // Kinesis Video: SamplingInterval is 200 ms to 20 s.
    const samplingMs = Math.min(20_000, Math.max(200, Math.floor((end - start) / THUMBS)));
    try {
      const out = await restJson<{ Images: Image[] }>('/getImages', {
        StreamName: stream,
        ImageSelectorType: 'SERVER_TIMESTAMP',
        StartTimestamp: start / 1000,
        EndTimestamp: end / 1000,
        SamplingInterval: samplingMs,
        Format: 'JPEG',
        WidthPixels: 240,
        MaxResults: THUMBS,
      });
      setImages(out.Images);
      setError(null);
    } catch (err) {
      setError(String(err));
    }
  };
  const haveFragments = Number.isFinite(oldestMs);
  // Loads again as soon as the first fragments are known, then every 10 s.
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 10_000);
    return () => clearInterval(timer);
  }, [stream, haveFragments]);
  return (
    <section aria-label="thumbnails">
      <h3>
        Thumbnails{' '}
        <button type="button" class="link" onClick={() => void load()}>
          refresh
        </button>
      </h3>
      {error && <p class="error">{error}</p>}
      <div class="thumbs">
        {images.map((img) => (
          <figure key={img.TimeStamp} class="thumb">
            {img.ImageContent ? <img alt={`frame at ${formatTime(img.TimeStamp * 1000)}`} src={`data:image/jpeg;base64,${img.ImageContent}`} /> : <div class="noimg">{img.Error ?? 'no image'}</div>}
            <figcaption>{new Date(img.TimeStamp * 1000).toLocaleTimeString()}</figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}
