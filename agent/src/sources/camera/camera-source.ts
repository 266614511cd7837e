/**
 * The `camera` source: an RTSP camera cut into MKV fragments by ffmpeg (`-c copy`, never
 * re-encoded; only the simulated `testsrc://` camera of test-pattern.ts is encoded), each fragment
 * handed to the durable buffer as a FragmentRef once ffmpeg announces it finished. The fragment's bytes stay in a file (fragment-files.ts); the buffer holds only the
 * reference, keyed by the source name, on the configured Kinesis Video stream.
 *
 * Invariants:
 * - A fragment is handed on only after the segment list announced it: ffmpeg has written its
 *   trailer, so the file is a complete Matroska document beginning on a keyframe. Files never
 *   announced are `.part` files and are deleted on start.
 * - Order: announcements are handled one at a time, in order, so records enter the buffer in
 *   fragment order.
 * - A file is renamed into place before its record is appended; a record the buffer refuses
 *   (drop_newest, or an append error) has its file deleted, so nothing on disk is unreferenced
 *   except after a crash between the rename and the append.
 * - ffmpeg is restarted after every exit (ffmpeg-supervisor.ts); the first fragment after a break
 *   carries gapBeforeMs, and stats() counts restarts and gaps.
 * Timestamps: fragment-timeline.ts. Does not upload, and does not delete uploaded fragments.
 */
import { RivuletError, type Clock, type TimerHandle } from '@rivulet/shared';
import type { CameraSourceConfig } from '../../config/schema.js';
import type { Emit, Source, SourceStats } from '../../pipeline/types.js';
import { buildFfmpegArgs, parseFfmpegMajor } from './ffmpeg-args.js';
import { FfmpegSupervisor, type RunEnd, type RunStart, type SupervisorPolicy } from './ffmpeg-supervisor.js';
import { encodeFragmentRef, type FragmentRef } from './fragment-ref.js';
import { FragmentFiles, type FragmentFs } from './fragment-files.js';
import { FragmentTimeline, type PlacedFragment, type RunTimeline } from './fragment-timeline.js';
import { runForOutput, type ProcessSpawner } from './process-spawner.js';
import { SegmentListReader, type SegmentEntry } from './segment-list.js';

export interface CameraSourceOptions {
  config: CameraSourceConfig;
  /** Where fragment files live (fragmentsRootFor(buffer path)); this source uses <root>/<name>/. */
  fragmentsRoot: string;
  /** The ffmpeg to run, already resolved (config ffmpegPath, then $FFMPEG_PATH, then PATH). */
  ffmpegPath: string;
  /** Restart backoff and stop timeout; defaults in DEFAULT_SUPERVISOR_POLICY. */
  supervisor?: Partial<SupervisorPolicy>;
  /** How long `ffmpeg -version` may take at start (default 10 s). */
  versionTimeoutMs?: number;
}

export interface CameraSourceDeps {
  clock: Clock;
  /** Uniform in [0, 1), for the restart jitter. */
  random: () => number;
  spawn: ProcessSpawner;
  fs?: FragmentFs;
  /** Unexpected ffmpeg exits and fragment failures, as RivuletError AGENT_CAMERA; never thrown. */
  onError?: (err: unknown) => void;
}

export interface CameraSourceStats extends SourceStats {
  /** Fragments in the buffer (emitted counts the same records). */
  fragments: number;
  bytes: number;
  /** ffmpeg runs started after an earlier one ended. */
  restarts: number;
  /** Breaks in the feed: runs whose first fragment followed an earlier fragment. */
  gaps: number;
  lastGapMs: number | null;
  /** Fragments the buffer refused (drop_newest when full); their files are deleted. */
  dropped: number;
  /** Unannounced `.part` files deleted at start. */
  partialsRemoved: number;
  running: boolean;
  ffmpegPid: number | null;
  ffmpegMajor: number | null;
}

interface RunContext {
  prefix: string;
  reader: SegmentListReader;
  timeline: RunTimeline | null;
}

/** ffmpeg prints "ffmpeg version 5.1..."; with no answer, assume a current one. */
const ASSUMED_FFMPEG_MAJOR = 5;

export class CameraSource implements Source {
  readonly name: string;
  private readonly files: FragmentFiles;
  private readonly timeline = new FragmentTimeline();
  private readonly supervisor: FfmpegSupervisor;
  private readonly runs = new Map<number, RunContext>();
  private readonly counters: Omit<CameraSourceStats, 'restarts' | 'gaps' | 'lastGapMs' | 'running' | 'ffmpegPid'> = {
    emitted: 0, errors: 0, lastError: null, fragments: 0, bytes: 0, dropped: 0, partialsRemoved: 0, ffmpegMajor: null,
  };
  private emit: Emit | null = null;
  private chain: Promise<void> = Promise.resolve();
  private starting: Promise<void> | null = null;

  constructor(
    private readonly opts: CameraSourceOptions,
    private readonly deps: CameraSourceDeps,
  ) {
    this.name = opts.config.name;
    if (this.name === '.' || this.name === '..') {
      throw new RivuletError('AGENT_CONFIG', { message: `camera source name "${this.name}" cannot name a directory` });
    }
    this.files = new FragmentFiles(opts.fragmentsRoot, this.name, deps.fs);
    this.supervisor = new FfmpegSupervisor(
      opts.ffmpegPath,
      {
        argsFor: (run) => this.argsFor(run),
        onStart: (run) => {
          const ctx = this.runs.get(run.index);
          if (ctx) ctx.timeline = this.timeline.startRun(run);
        },
        onStdout: (chunk, run) => this.onStdout(chunk, run),
        onExit: (end) => this.onExit(end),
      },
      { clock: deps.clock, random: deps.random, spawn: deps.spawn },
      opts.supervisor,
    );
  }

  async start(emit: Emit): Promise<void> {
    this.emit = emit;
    this.starting = (async () => {
      const removed = await this.files.prepare();
      this.counters.partialsRemoved += removed.length;
      this.counters.ffmpegMajor = await this.probeFfmpegMajor();
      this.supervisor.start();
    })();
    await this.starting;
  }

  /** Stops ffmpeg (it finishes and announces the segment in progress), then waits for its record. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => {});
    await this.supervisor.stop();
    await this.chain;
  }

  stats(): CameraSourceStats {
    const s = this.supervisor.stats();
    return {
      ...this.counters,
      restarts: s.restarts,
      gaps: this.timeline.gaps(),
      lastGapMs: this.timeline.lastGapMs(),
      running: s.running,
      ffmpegPid: this.supervisor.pid() ?? null,
    };
  }

  private argsFor(run: RunStart): readonly string[] {
    const prefix = this.files.newRunPrefix(run.wallMs, run.index);
    const reader = new SegmentListReader((line) => this.fail(`ffmpeg printed an unexpected segment list line: ${line.slice(0, 200)}`));
    this.runs.set(run.index, { prefix, reader, timeline: null });
    const c = this.opts.config;
    return buildFfmpegArgs({
      url: c.url,
      transport: c.transport,
      socketTimeoutMs: c.socketTimeoutMs,
      fragmentSeconds: c.fragmentSeconds,
      outputPattern: this.files.outputPattern(prefix),
      ffmpegMajor: this.counters.ffmpegMajor ?? ASSUMED_FFMPEG_MAJOR,
    });
  }

  private onStdout(chunk: Buffer, run: RunStart): void {
    const ctx = this.runs.get(run.index);
    if (!ctx?.timeline) return;
    const announcedMonoMs = this.deps.clock.monotonicMs();
    for (const entry of ctx.reader.push(chunk)) {
      if (!this.files.isRunSegment(ctx.prefix, entry.file)) {
        this.fail(`ffmpeg announced a segment that is not this run's: ${entry.file}`);
        continue;
      }
      // Placed now, in announcement order and at announcement time; the file work can lag.
      const placed = ctx.timeline.place(entry.startSec, entry.endSec, announcedMonoMs);
      this.supervisor.markHealthy();
      this.chain = this.chain.then(() => this.handOn(entry, placed));
    }
  }

  private onExit(end: RunEnd): void {
    this.runs.delete(end.index);
    if (end.nextDelayMs === null) return; // stop() asked for it
    const how = end.exit.error
      ? `could not start ffmpeg (${end.exit.error.message})`
      : end.exit.signal
        ? `ffmpeg was killed by ${end.exit.signal}`
        : `ffmpeg exited with code ${end.exit.code}`;
    const said = end.stderrTail.at(-1);
    this.fail(`${how} after ${Math.round(end.durationMs)} ms${said ? `: ${said}` : ''}; restarting in ${end.nextDelayMs} ms`, end.exit.error);
  }

  /** Renames the announced file into place and appends its reference; never throws. */
  private async handOn(entry: SegmentEntry, placed: PlacedFragment): Promise<void> {
    let finished: Awaited<ReturnType<FragmentFiles['finish']>>;
    try {
      finished = await this.files.finish(entry.file);
    } catch (err) {
      this.fail(`fragment ${entry.file} could not be moved into place`, err);
      return;
    }
    if (!finished) return; // an empty segment: ffmpeg had nothing to put in it
    const ref: FragmentRef = {
      file: finished.file,
      producerTimestampMs: placed.producerTimestampMs,
      durationMs: placed.durationMs,
      bytes: finished.bytes,
      monoMs: placed.monoMs,
      tags: this.opts.config.tags,
      ...(placed.gapBeforeMs !== undefined ? { gapBeforeMs: placed.gapBeforeMs } : {}),
    };
    try {
      const result = await this.emit!([
        { stream: this.opts.config.stream, partitionKey: this.name, data: encodeFragmentRef(ref), wallMs: this.deps.clock.now(), monoMs: this.deps.clock.monotonicMs() },
      ]);
      if (result.dropped > 0) {
        this.counters.dropped++;
        await this.files.discard(finished.path);
        return;
      }
      this.counters.emitted++;
      this.counters.fragments++;
      this.counters.bytes += finished.bytes;
    } catch (err) {
      this.fail(`fragment ${finished.file} was not buffered`, err);
      await this.files.discard(finished.path).catch((e: unknown) => this.fail(`fragment ${finished.file} could not be deleted`, e));
    }
  }

  private async probeFfmpegMajor(): Promise<number | null> {
    const timer: { handle?: TimerHandle } = {};
    const timeout = new Promise<null>((resolve) => (timer.handle = this.deps.clock.setTimer(() => resolve(null), this.opts.versionTimeoutMs ?? 10_000)));
    const probe = runForOutput(this.deps.spawn, this.opts.ffmpegPath, ['-version']).then(({ stdout, exit }) => {
      if (exit.error) this.fail(`could not run ${this.opts.ffmpegPath} -version (${exit.error.message})`, exit.error);
      return parseFfmpegMajor(stdout);
    });
    const major = await Promise.race([probe, timeout]);
    timer.handle?.cancel();
    return major;
  }

  private fail(message: string, cause?: unknown): void {
    const err = new RivuletError('AGENT_CAMERA', { source: this.name, message }, cause === undefined ? undefined : { cause });
    this.counters.errors++;
    this.counters.lastError = err.message;
    this.deps.onError?.(err);
  }
}
