/**
 * The simulated camera: a camera URL `testsrc://?size=640x360&rate=15` stands for ffmpeg's own
 * moving test pattern (lavfi `testsrc2`), paced in real time (-re) and encoded with libx264. This
 * is the one input that is re-encoded, because there is no camera stream to copy; it exists for
 * demos and tests, and goes through the same segmenting, fragment and upload path as RTSP.
 * Owns the URL's parsing and the input and encoder arguments, nothing else.
 */

export const TEST_PATTERN_SCHEME = 'testsrc://';

export interface TestPattern {
  width: number;
  height: number;
  /** Frames per second. */
  rate: number;
}

const DEFAULT_PATTERN: TestPattern = { width: 640, height: 360, rate: 15 };

/** The pattern a `testsrc://` URL asks for; null for any other URL or a value out of range. */
export function parseTestPatternUrl(url: string): TestPattern | null {
  if (!url.startsWith(TEST_PATTERN_SCHEME)) return null;
  const rest = url.slice(TEST_PATTERN_SCHEME.length);
  if (rest !== '' && !rest.startsWith('?')) return null;
  const pattern = { ...DEFAULT_PATTERN };
  for (const [key, value] of new URLSearchParams(rest.slice(1))) {
    if (key === 'size') {
      const m = /^(\d{2,4})x(\d{2,4})$/.exec(value);
      // libx264 with yuv420p needs even dimensions.
      if (!m || Number(m[1]) % 2 !== 0 || Number(m[2]) % 2 !== 0) return null;
      pattern.width = Number(m[1]);
      pattern.height = Number(m[2]);
    } else if (key === 'rate') {
      if (!/^\d{1,2}$/.test(value) || Number(value) < 1 || Number(value) > 60) return null;
      pattern.rate = Number(value);
    } else {
      return null;
    }
  }
  return pattern;
}

/** Input arguments: the pattern generated at its frame rate, as a live camera delivers it. */
export function testPatternInputArgs(p: TestPattern): string[] {
  return ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${p.width}x${p.height}:rate=${p.rate}`];
}

/**
 * Encoder arguments: H.264 (what KVS and the archive expect), cheap (ultrafast, no B-frames via
 * zerolatency), with a keyframe every second and none elsewhere, so the segment muxer can cut
 * fragments of the configured length.
 */
export function testPatternEncodeArgs(p: TestPattern): string[] {
  const gop = String(p.rate);
  return ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0'];
}
