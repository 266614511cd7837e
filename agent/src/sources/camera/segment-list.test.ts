import { describe, expect, it } from 'vitest';
import { parseSegmentLine, SegmentListReader } from './segment-list.js';

describe('segment list', () => {
  it('reads the lines ffmpeg 5.1 prints for -segment_list_type csv', () => {
    // Captured from ffmpeg 5.1 cutting the test camera (key-int 30 at 15 fps, segment_time 2).
    const reader = new SegmentListReader();
    const entries = reader.push('run1-000000.mkv.part,0.000000,3.934000\nrun1-000001.mkv.part,3.933000,5.934000\n');
    expect(entries).toEqual([
      { file: 'run1-000000.mkv.part', startSec: 0, endSec: 3.934 },
      { file: 'run1-000001.mkv.part', startSec: 3.933, endSec: 5.934 },
    ]);
  });

  it('joins a line split across chunks, and holds back a line without its newline', () => {
    const reader = new SegmentListReader();
    expect(reader.push('a-000000.mkv.pa')).toEqual([]);
    expect(reader.push('rt,0.000000,2.0')).toEqual([]);
    expect(reader.rest()).toBe('a-000000.mkv.part,0.000000,2.0');
    expect(reader.push(Buffer.from('00000\nb'))).toEqual([{ file: 'a-000000.mkv.part', startSec: 0, endSec: 2 }]);
    expect(reader.rest()).toBe('b');
  });

  it('unquotes names the way segment.c quotes them, newlines included', () => {
    expect(parseSegmentLine('"a,b.mkv",1.000000,2.500000')).toEqual({ file: 'a,b.mkv', startSec: 1, endSec: 2.5 });
    expect(parseSegmentLine('"say ""hi"".mkv",0.000000,1.000000')).toEqual({ file: 'say "hi".mkv', startSec: 0, endSec: 1 });
    const reader = new SegmentListReader();
    expect(reader.push('"two\nlines.mkv",0.000000,1.000000\r\n')).toEqual([{ file: 'two\nlines.mkv', startSec: 0, endSec: 1 }]);
  });

  it('reports lines that are not entries instead of guessing', () => {
    const invalid: string[] = [];
    const reader = new SegmentListReader((line) => invalid.push(line));
    expect(reader.push('#EXTM3U\nx.mkv,abc,1.0\n,1.000000,2.000000\nbad"name.mkv,0.000000,1.000000\nok.mkv,0.000000,1.000000\n')).toEqual([
      { file: 'ok.mkv', startSec: 0, endSec: 1 },
    ]);
    expect(invalid).toEqual(['#EXTM3U', 'x.mkv,abc,1.0', ',1.000000,2.000000', 'bad"name.mkv,0.000000,1.000000']);
  });
});
