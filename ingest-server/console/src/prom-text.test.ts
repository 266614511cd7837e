import { describe, expect, it } from 'vitest';
import { counterRate, parsePromText, sumBy, sumOf } from './prom-text.js';

const SAMPLE = `# HELP rivulet_stream_incoming_records_total Records accepted.
# TYPE rivulet_stream_incoming_records_total counter
rivulet_stream_incoming_records_total{stream="demo-sensors",shard="shardId-000000000000"} 120
rivulet_stream_incoming_records_total{stream="demo-sensors",shard="shardId-000000000001"} 80
rivulet_stream_incoming_records_total{stream="device-health",shard="shardId-000000000000"} 7
# TYPE rivulet_request_duration_seconds histogram
rivulet_request_duration_seconds_bucket{le="+Inf",service="streams",action="PutRecords"} 3
rivulet_firehose_data_freshness_seconds{delivery_stream="demo-delivery"} 1.5e0
rivulet_odd{path="a \\"quoted\\" \\\\ back\\nslash"} NaN 1700000000000
rivulet_process_cpu_seconds_total 0.25
this line { is not a sample
`;

describe('the Prometheus text parser', () => {
  it('reads names, labels and values, skipping comments', () => {
    const samples = parsePromText(SAMPLE);
    expect(samples[0]).toEqual({ name: 'rivulet_stream_incoming_records_total', labels: { stream: 'demo-sensors', shard: 'shardId-000000000000' }, value: 120 });
    expect(samples.find((s) => s.name === 'rivulet_request_duration_seconds_bucket')?.labels.le).toBe('+Inf');
    expect(samples.find((s) => s.name === 'rivulet_firehose_data_freshness_seconds')?.value).toBe(1.5);
    expect(samples.find((s) => s.name === 'rivulet_process_cpu_seconds_total')).toEqual({ name: 'rivulet_process_cpu_seconds_total', labels: {}, value: 0.25 });
  });

  it('unescapes label values and keeps NaN, ignoring the timestamp', () => {
    const odd = parsePromText(SAMPLE).find((s) => s.name === 'rivulet_odd');
    expect(odd?.labels.path).toBe('a "quoted" \\ back\nslash');
    expect(odd?.value).toBeNaN();
  });

  it('skips a line that does not parse instead of failing', () => {
    expect(parsePromText(SAMPLE).some((s) => s.name === 'this')).toBe(false);
    expect(parsePromText('x{a="unterminated} 1\ny 2')).toEqual([{ name: 'y', labels: {}, value: 2 }]);
  });

  it('sums a counter over matching labels and groups it by a label', () => {
    const samples = parsePromText(SAMPLE);
    expect(sumOf(samples, 'rivulet_stream_incoming_records_total', { stream: 'demo-sensors' })).toBe(200);
    expect(sumOf(samples, 'rivulet_stream_incoming_records_total')).toBe(207);
    expect([...sumBy(samples, 'rivulet_stream_incoming_records_total', 'shard', { stream: 'demo-sensors' })]).toEqual([
      ['shardId-000000000000', 120],
      ['shardId-000000000001', 80],
    ]);
  });

  it('computes a per-second rate, restarting from zero after a counter reset', () => {
    expect(counterRate(100, 150, 2)).toBe(25);
    expect(counterRate(100, 30, 1)).toBe(30);
    expect(counterRate(1, 2, 0)).toBe(0);
  });
});

describe('special sample values', () => {
  it('reads NaN and Inf in any case, as Prometheus does (prom-client writes "Nan")', () => {
    const samples = parsePromText('a Nan\nb NaN\nc +Inf\nd -inf\ne Inf\n');
    expect(samples.map((s) => s.value)).toEqual([NaN, NaN, Infinity, -Infinity, Infinity]);
  });
});
