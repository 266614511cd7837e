import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '@rivulet/shared';
import { readFollowingLineage } from '../../../test/harness/consumer.js';
import { useIngestSuite } from '../../../test/harness/suite.js';
import { LevelBuffer } from '../buffer/level-buffer.js';
import { RetryScheduler } from '../uploaders/scheduler.js';
import { createHttpTransport } from '../uploaders/streams/http-transport.js';
import { StreamsUploader } from '../uploaders/streams/streams-uploader.js';
import { UploadPump } from './upload-pump.js';

const DAY = 86_400_000;

/** Real timers and monotonic time, with a wall clock the test steps as a late NTP sync would. */
class JumpingClock implements Clock {
  offsetMs = 0;
  now = () => systemClock.now() + this.offsetMs;
  monotonicMs = () => systemClock.monotonicMs();
  setTimer = systemClock.setTimer;
  setInterval = systemClock.setInterval;
}

const suite = useIngestSuite({ client: 'http1' });

describe('the pipeline under wall-clock jumps', () => {
  it('loses and reorders nothing when the wall clock steps back a day and forward again', async () => {
    const { kinesis, server } = suite;
    await kinesis.send(new CreateStreamCommand({ StreamName: 'jumps', ShardCount: 2 }));
    const clock = new JumpingClock();
    const buffer = new LevelBuffer({ location: join(mkdtempSync(join(tmpdir(), 'rivulet-jump-')), 'buffer'), maxBytes: 16 << 20, policies: {}, defaultPolicy: { priority: 5, whenFull: 'block' }, clock });
    await buffer.open();
    const transport = createHttpTransport();
    const uploader = new StreamsUploader(
      { endpoint: server.endpoint, region: 'us-east-1', credentials: null, deviceId: 'gw-jump', idempotentProducer: true, maxBatchRecords: 50, maxBatchBytes: 1 << 20 },
      { buffer, clock, send: transport.send, bandwidth: null },
    );
    const pump = new UploadPump({ buffer, uploader, scheduler: new RetryScheduler({ clock, random: Math.random }), clock, pollMs: 20 });
    pump.start();
    const keys = ['a', 'b', 'c'];
    let n = 0;
    const emitRound = async () => {
      for (let i = 0; i < 30; i++, n++) {
        await buffer.append(keys.map((k) => ({ stream: 'jumps', partitionKey: k, data: Buffer.from(`${k}:${n}`), wallMs: clock.now(), monoMs: clock.monotonicMs() })));
      }
      pump.kick();
    };
    await emitRound();
    clock.offsetMs = -DAY; // a late NTP correction steps the clock back a day
    await emitRound();
    clock.offsetMs = 0; // and forward again
    await emitRound();
    clock.offsetMs = DAY;
    await emitRound();
    for (let i = 0; i < 100 && buffer.stats().records > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(buffer.stats().records).toBe(0);
    const read = await readFollowingLineage(kinesis, 'jumps');
    expect(read).toHaveLength(keys.length * n);
    for (const k of keys) {
      expect(read.filter((r) => r.partitionKey === k).map((r) => Number(r.data.split(':')[1]))).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    pump.stop();
    transport.close();
    await buffer.close();
  });
});
