import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, describe, expect, it } from 'vitest';
import { idOf, openBuffer, peekAll, record, removeTempDirs, tempLocation } from './fixtures/buffer-fixtures.js';
import { recordKey } from './record-codec.js';

afterAll(removeTempDirs);

/** Cuts `bytes` off the end of LevelDB's newest write-ahead log, as a power cut mid-write would. */
function tearLogTail(location: string, bytes: number): void {
  const log = readdirSync(location).filter((f) => f.endsWith('.log')).sort().at(-1)!;
  const file = join(location, log);
  truncateSync(file, statSync(file).size - bytes);
}

describe('LevelBuffer recovery', () => {
  it('keeps seq strictly increasing across reopens, even after every record was acked', async () => {
    const location = await tempLocation();
    const seqs: number[] = [];
    for (let run = 0; run < 3; run++) {
      const buffer = await openBuffer({ location });
      await buffer.append([record('s', `run${run}-1`), record('s', `run${run}-2`)]);
      const records = await peekAll(buffer, 's');
      seqs.push(...records.map((r) => r.seq));
      await buffer.ack('s', records.map((r) => r.seq));
      await buffer.close();
    }
    expect(seqs.slice(0, 2)).toEqual([1, 2]);
    seqs.forEach((seq, i) => i > 0 && expect(seq).toBeGreaterThan(seqs[i - 1]!));
  });

  it('loses only a torn final batch, never an earlier one, and keeps working after it', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location });
    await buffer.append([record('s', 'first'), record('t', 'first-t')]);
    await buffer.append([record('s', 'second')]);
    await buffer.append([record('s', 'torn'), record('t', 'torn-t')]);
    await buffer.close();
    tearLogTail(location, 10);
    const again = await openBuffer({ location });
    expect((await peekAll(again, 's')).map(idOf)).toEqual(['first', 'second']);
    // The torn batch is gone as a whole: none of its records survives on its own.
    expect((await peekAll(again, 't')).map(idOf)).toEqual(['first-t']);
    expect(again.stats()).toMatchObject({ records: 3, bytes: 300 });
    await again.append([record('s', 'after')]);
    expect((await peekAll(again, 's')).map(idOf)).toEqual(['first', 'second', 'after']);
    await again.close();
  });

  it('never reuses the seq of a record that was peeked and then lost with an unsynced batch', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location, syncWrites: false });
    await buffer.append([record('s', 'kept')]);
    await buffer.append([record('s', 'lost')]);
    const lost = (await peekAll(buffer, 's')).at(-1)!;
    expect(idOf(lost)).toBe('lost');
    await buffer.close();
    tearLogTail(location, 10);
    const again = await openBuffer({ location });
    expect((await peekAll(again, 's')).map(idOf)).toEqual(['kept']);
    await again.append([record('s', 'new')]);
    expect((await peekAll(again, 's')).at(-1)!.seq).toBeGreaterThan(lost.seq);
    await again.close();
  });

  it('deletes a record that no longer decodes, counts it as dropped, and keeps the rest', async () => {
    const location = await tempLocation();
    const buffer = await openBuffer({ location });
    await buffer.append([record('s', 'good-1'), record('s', 'bad'), record('s', 'good-2')]);
    await buffer.close();
    const raw = new ClassicLevel<Buffer, Buffer>(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await raw.open();
    await raw.put(recordKey('s', 2), Buffer.from([0x7f, 0x00]));
    await raw.close();
    const again = await openBuffer({ location });
    expect((await peekAll(again, 's')).map(idOf)).toEqual(['good-1', 'good-2']);
    expect(again.stats()).toMatchObject({ records: 2, bytes: 200, dropped: { s: 1 } });
    await again.close();
    const third = await openBuffer({ location });
    expect(third.stats()).toMatchObject({ records: 2, dropped: { s: 1 } });
    await third.close();
  });
});
