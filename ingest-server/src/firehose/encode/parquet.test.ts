import { gunzipSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { RivuletError } from '@rivulet/shared';
import { convertToParquet, validateParquetSchema, type ParquetColumn, type ParquetOptions } from './parquet.js';

const json = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

function arrayBufferOf(body: Buffer): ArrayBuffer {
  return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
}

async function readBack(body: Buffer): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({
    file: arrayBufferOf(body),
    compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) },
  });
}

const columns: ParquetColumn[] = [
  { name: 'id', type: 'bigint' },
  { name: 'name', type: 'string' },
  { name: 'code', type: 'varchar(3)' },
  { name: 'active', type: 'boolean' },
  { name: 'level', type: 'tinyint' },
  { name: 'port', type: 'smallint' },
  { name: 'count', type: 'int' },
  { name: 'ratio', type: 'float' },
  { name: 'price', type: 'double' },
  { name: 'amount', type: 'decimal(10,2)' },
  { name: 'big_amount', type: 'DECIMAL(30, 4)' },
  { name: 'day', type: 'date' },
  { name: 'at', type: 'timestamp' },
];

describe('convertToParquet', () => {
  it('writes rows that read back with the same values and types', async () => {
    const records = [
      json({
        id: 9007199254740991,
        name: 'sensor-1',
        code: 'ABCDE',
        active: true,
        level: -128,
        port: 32767,
        count: 2147483647,
        ratio: 0.5,
        price: 123.456,
        amount: 19.999,
        big_amount: '12345678901234567890.12345',
        day: '2024-02-29',
        at: '2024-02-29T12:34:56.789Z',
      }),
      json({ ID: '-9223372036854775808', Name: { nested: [1, 2] }, Active: 'FALSE', AT: 1700000000123, Day: '1969-12-31', amount: -0.005 }),
      json({}),
    ];
    const { body, failed } = convertToParquet(records, columns, { compression: 'SNAPPY' });
    expect(failed).toEqual([]);
    expect(body).not.toBeNull();
    const rows = await readBack(body!);
    expect(rows).toHaveLength(3);
    // hyparquet reads DECIMAL back as a JS number, so a 30-digit value can only be compared approximately.
    expect((rows[0]!['big_amount'] as number) / 12345678901234567890.1235).toBeCloseTo(1, 12);
    expect(rows[0]).toEqual({
      id: 9007199254740991n,
      name: 'sensor-1',
      code: 'ABC',
      active: true,
      level: -128,
      port: 32767,
      count: 2147483647,
      ratio: 0.5,
      price: 123.456,
      amount: 20,
      big_amount: rows[0]!['big_amount'],
      day: new Date('2024-02-29T00:00:00Z'),
      at: new Date('2024-02-29T12:34:56.789Z'),
    });
    expect(rows[1]).toMatchObject({
      id: -9223372036854775808n,
      name: '{"nested":[1,2]}',
      active: false,
      at: new Date(1700000000123),
      day: new Date('1969-12-31T00:00:00Z'),
      amount: -0.01,
      count: null,
    });
    for (const value of Object.values(rows[2]!)) expect(value).toBeNull();
  });

  it('declares the Glue types as Parquet physical and logical types', () => {
    const { body } = convertToParquet([json({ id: 1 })], columns, { compression: 'UNCOMPRESSED' });
    const meta = parquetMetadata(arrayBufferOf(body!));
    const byName = Object.fromEntries(meta.schema.slice(1).map((e) => [e.name, e]));
    expect(byName['id']).toMatchObject({ type: 'INT64', repetition_type: 'OPTIONAL' });
    expect(byName['name']).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    expect(byName['level']).toMatchObject({ type: 'INT32', converted_type: 'INT_8' });
    expect(byName['port']).toMatchObject({ type: 'INT32', converted_type: 'INT_16' });
    expect(byName['ratio']).toMatchObject({ type: 'FLOAT' });
    expect(byName['amount']).toMatchObject({ type: 'INT64', converted_type: 'DECIMAL', precision: 10, scale: 2 });
    expect(byName['big_amount']).toMatchObject({ type: 'FIXED_LEN_BYTE_ARRAY', converted_type: 'DECIMAL', precision: 30, scale: 4 });
    expect(byName['day']).toMatchObject({ type: 'INT32', converted_type: 'DATE' });
    expect(byName['at']).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' });
    expect(meta.num_rows).toBe(1n);
  });

  it('accepts Hive-style and offset timestamps and epoch millis as a string', async () => {
    const cols = [{ name: 'at', type: 'timestamp' }];
    const inputs = ['2024-01-02 03:04:05', '2024-01-02 03:04:05.123456', '2024-01-02T05:04:05+02:00', '1704164645000', '2024-01-02'];
    const { body, failed } = convertToParquet(inputs.map((at) => json({ at })), cols, { compression: 'SNAPPY' });
    expect(failed).toEqual([]);
    const rows = await readBack(body!);
    expect(rows.map((r) => (r['at'] as Date).toISOString())).toEqual([
      '2024-01-02T03:04:05.000Z',
      '2024-01-02T03:04:05.123Z',
      '2024-01-02T03:04:05.000Z',
      '2024-01-02T03:04:05.000Z',
      '2024-01-02T00:00:00.000Z',
    ]);
  });

  it('reports records that are not JSON objects or do not coerce, by index, and leaves them out', async () => {
    const cols = [
      { name: 'n', type: 'int' },
      { name: 'd', type: 'date' },
      { name: 'b', type: 'boolean' },
      { name: 'x', type: 'decimal(4,2)' },
      { name: 'at', type: 'timestamp' },
    ];
    const records = [
      json({ n: 1 }),
      Buffer.from('not json'),
      json([1, 2]),
      json({ n: 'twelve' }),
      json({ n: 2 ** 31 }),
      json({ d: '2023-02-29' }),
      json({ b: 'yes' }),
      json({ x: 100 }),
      json({ at: 'yesterday' }),
      json({ n: 1.5 }),
      json({ n: '7', x: '-12.345' }),
      json('null'),
    ];
    const { body, failed } = convertToParquet(records, cols, { compression: 'SNAPPY' });
    expect(failed.map((f) => f.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
    expect(failed.find((f) => f.index === 3)!.message).toContain('column "n"');
    expect(failed.find((f) => f.index === 7)!.message).toContain('overflows decimal(4,2)');
    const rows = await readBack(body!);
    expect(rows).toEqual([
      { n: 1, d: null, b: null, x: null, at: null },
      { n: 7, d: null, b: null, x: -12.35, at: null },
    ]);
  });

  it('refuses JSON integers past 2^53 for bigint instead of storing a rounded value', () => {
    const { body, failed } = convertToParquet([Buffer.from('{"id": 9223372036854775807}')], [{ name: 'id', type: 'bigint' }], { compression: 'SNAPPY' });
    expect(body).toBeNull();
    expect(failed[0]!.message).toContain('send large values as strings');
  });

  it('returns a null body when no row survives', () => {
    expect(convertToParquet([], columns, { compression: 'SNAPPY' })).toEqual({ body: null, failed: [] });
    const { body, failed } = convertToParquet([Buffer.from('[]')], columns, { compression: 'SNAPPY' });
    expect(body).toBeNull();
    expect(failed).toEqual([{ index: 0, message: 'not a JSON object' }]);
  });

  for (const compression of ['UNCOMPRESSED', 'SNAPPY', 'GZIP'] as const) {
    it(`writes a readable file with ${compression} pages`, async () => {
      const records = Array.from({ length: 2000 }, (_, i) => json({ id: i, name: `device-${i % 10}`, price: i / 4 }));
      const { body, failed } = convertToParquet(records, columns, { compression });
      expect(failed).toEqual([]);
      const meta = parquetMetadata(arrayBufferOf(body!));
      expect(meta.row_groups.every((g) => g.columns.every((c) => c.meta_data?.codec === compression))).toBe(true);
      const rows = await readBack(body!);
      expect(rows).toHaveLength(2000);
      expect(rows[1999]).toMatchObject({ id: 1999n, name: 'device-9', price: 499.75 });
    });
  }

  it('rejects an unknown compression', () => {
    expect(() => convertToParquet([json({})], columns, { compression: 'LZO' } as unknown as ParquetOptions)).toThrow(RivuletError);
  });
});

describe('validateParquetSchema', () => {
  const code = (cols: ParquetColumn[]) => {
    try {
      validateParquetSchema(cols);
      return null;
    } catch (e) {
      return (e as RivuletError).code;
    }
  };

  it('accepts every supported Glue type', () => {
    expect(code(columns)).toBeNull();
    expect(code([{ name: 'a', type: 'char(10)' }, { name: 'b', type: 'integer' }, { name: 'c', type: 'decimal' }])).toBeNull();
  });

  it('rejects an empty schema, unknown types, bad parameters and duplicate names', () => {
    expect(code([])).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect(code([{ name: 'a', type: 'array<string>' }])).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect(code([{ name: 'a', type: 'varchar(0)' }])).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect(code([{ name: 'a', type: 'decimal(39,2)' }])).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect(code([{ name: 'a', type: 'decimal(4,5)' }])).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect(code([{ name: '', type: 'string' }])).toBe('FIREHOSE_INVALID_ARGUMENT');
    expect(code([{ name: 'Id', type: 'string' }, { name: 'id', type: 'int' }])).toBe('FIREHOSE_INVALID_ARGUMENT');
  });
});
