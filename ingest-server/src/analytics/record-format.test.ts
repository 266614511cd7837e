import { describe, expect, it } from 'vitest';
import { parseTimestamp } from './engine/values.js';
import { compileRecordDecoder, compileRecordEncoder, parseJsonPath, splitCsv, type RecordSchema } from './record-format.js';
import type { RecordColumn } from './schemas.js';

const json = (columns: RecordColumn[], RecordRowPath = '$'): RecordSchema => ({
  RecordFormat: { RecordFormatType: 'JSON', MappingParameters: { JSONMappingParameters: { RecordRowPath } } },
  RecordColumns: columns,
});
const csv = (columns: RecordColumn[], RecordRowDelimiter = '\n', RecordColumnDelimiter = ','): RecordSchema => ({
  RecordFormat: { RecordFormatType: 'CSV', MappingParameters: { CSVMappingParameters: { RecordRowDelimiter, RecordColumnDelimiter } } },
  RecordColumns: columns,
});
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

// The record used throughout KDA Developer Guide, "Working with JSONPath".
const customer = {
  customerName: 'John Doe',
  address: { city: 'Anytown' },
  orders: [
    { orderId: '23284', itemName: 'Widget', itemPrice: '33.99' },
    { orderId: '63122', itemName: 'Gadget', itemPrice: '22.50' },
  ],
};

describe('compileRecordDecoder, JSON', () => {
  it('decodes the stock ticker schema from the developer guide', () => {
    const decode = compileRecordDecoder(json([
      { Name: 'TICKER_SYMBOL', Mapping: '$.TICKER_SYMBOL', SqlType: 'VARCHAR(4)' },
      { Name: 'SECTOR', Mapping: '$.SECTOR', SqlType: 'VARCHAR(16)' },
      { Name: 'CHANGE', Mapping: '$.CHANGE', SqlType: 'TINYINT' },
      { Name: 'PRICE', Mapping: '$.PRICE', SqlType: 'DECIMAL(5,2)' },
    ]));
    expect(decode.columns.map((c) => [c.name, c.type])).toEqual([['TICKER_SYMBOL', 'VARCHAR'], ['SECTOR', 'VARCHAR'], ['CHANGE', 'INTEGER'], ['PRICE', 'DOUBLE']]);
    expect(decode(buf({ TICKER_SYMBOL: 'QXZ', SECTOR: 'HEALTHCARE', CHANGE: -1, PRICE: 84.51 }))).toEqual({ rows: [['QXZ', 'HEALTHCARE', -1, 84.51]], errors: [] });
  });

  it('reads nested elements and indexes, and makes missing elements NULL (paths are case-sensitive)', () => {
    const decode = compileRecordDecoder(json([
      { Name: 'city', Mapping: '$.address.city', SqlType: 'VARCHAR(16)' },
      { Name: 'first', Mapping: "$.orders[0]['itemName']", SqlType: 'VARCHAR(16)' },
      { Name: 'NAME', Mapping: '$.Name', SqlType: 'VARCHAR(16)' },
    ]));
    expect(decode(buf(customer)).rows).toEqual([['Anytown', 'Widget', null]]);
  });

  it('returns a whole array as its JSON text when [0:] ends the path', () => {
    const decode = compileRecordDecoder(json([{ Name: 'ORDERS', Mapping: '$.orders[0:]', SqlType: 'VARCHAR(512)' }]));
    expect(decode(buf(customer)).rows).toEqual([[JSON.stringify(customer.orders)]]);
  });

  it('flattens an array into rows and repeats the other columns for each element', () => {
    const decode = compileRecordDecoder(json([
      { Name: 'NAME', Mapping: '$.customerName', SqlType: 'VARCHAR(16)' },
      { Name: 'ORDER_ID', Mapping: '$.orders[0:].orderId', SqlType: 'INTEGER' },
      { Name: 'ITEM_ID', Mapping: '$.orders[0:].itemId', SqlType: 'INTEGER' },
    ]));
    expect(decode(buf(customer)).rows).toEqual([['John Doe', 23284, null], ['John Doe', 63122, null]]);
    expect(decode(buf({ customerName: 'X', orders: [] })).rows).toEqual([['X', null, null]]);
  });

  it('refuses schemas that flatten two arrays or dereference twice', () => {
    expect(() => compileRecordDecoder(json([
      { Name: 'A', Mapping: '$.a[0:].x', SqlType: 'INTEGER' },
      { Name: 'B', Mapping: '$.b[0:].x', SqlType: 'INTEGER' },
    ]))).toThrow('only one array can be flattened');
    expect(() => compileRecordDecoder(json([{ Name: 'A', Mapping: '$.a[0:].b[0:].c', SqlType: 'INTEGER' }]))).toThrow('one level');
    expect(() => parseJsonPath('$.a[1:]')).toThrow('[0:]');
    expect(() => compileRecordDecoder(json([{ Name: 'A', SqlType: 'VARCHAR(' }]))).toThrow("SqlType 'VARCHAR(' is not a valid SQL type");
  });

  it('takes each element of a RecordRowPath ending in [0:] as a row', () => {
    const decode = compileRecordDecoder(json([{ Name: 'ID', Mapping: '$.orderId', SqlType: 'BIGINT' }], '$.orders[0:]'));
    expect(decode(buf(customer)).rows).toEqual([[23284], [63122]]);
  });

  it('converts JSON types after "Mapping JSON Data Types to SQL Data Types"', () => {
    const decode = compileRecordDecoder(json([
      { Name: 'B2I', Mapping: '$.b', SqlType: 'INTEGER' },
      { Name: 'B2S', Mapping: '$.b', SqlType: 'VARCHAR(8)' },
      { Name: 'N2B', Mapping: '$.n', SqlType: 'BOOLEAN' },
      { Name: 'N2S', Mapping: '$.n', SqlType: 'VARCHAR(8)' },
      { Name: 'S2B', Mapping: '$.s', SqlType: 'BOOLEAN' },
      { Name: 'S2T', Mapping: '$.t', SqlType: 'TIMESTAMP' },
      { Name: 'TRUNC', Mapping: '$.long', SqlType: 'VARCHAR(3)' },
      { Name: 'OBJ', Mapping: '$.o', SqlType: 'VARCHAR(32)' },
    ]));
    const { rows, errors } = decode(buf({ b: true, n: 2.5, s: 'yes', t: '1992-02-14 18:35:44.0', long: 'abcdef', o: { k: [1] } }));
    expect(errors).toEqual([]);
    expect(rows).toEqual([[1, 'true', true, '2.5', false, parseTimestamp('1992-02-14 18:35:44'), 'abc', '{"k":[1]}']]);
  });

  it('reports a row that does not convert, naming the column, and keeps the other rows', () => {
    const decode = compileRecordDecoder(json([{ Name: 'QTY', Mapping: '$.q', SqlType: 'INTEGER' }], '$[0:]'));
    const { rows, errors } = decode(buf([{ q: 1 }, { q: 123.4 }, { q: 'x' }, { q: { a: 1 } }, { q: 3 }]));
    expect(rows).toEqual([[1], [3]]);
    expect(errors.map((e) => e.message)).toEqual([
      'Column QTY (INTEGER): cannot convert 123.4: not an integer',
      'Column QTY (INTEGER): cannot convert "x": cannot cast "x" to INTEGER',
      'Column QTY (INTEGER): cannot convert {"a":1}: an object fits only CHAR or VARCHAR',
    ]);
    expect(errors[0]).toMatchObject({ raw: '{"q":123.4}', error: { name: 'SchemaMismatch' } });
    expect(decode(buf('{not json')).errors[0]).toMatchObject({ raw: '{not json', message: expect.stringContaining('not valid JSON') });
  });
});

describe('compileRecordDecoder, JSON fast and general paths', () => {
  it('reads only a record\'s own fields: "constructor" or "toString" missing from it are NULL, on both paths', () => {
    const columns: RecordColumn[] = [
      { Name: 'constructor', Mapping: '$.constructor', SqlType: 'VARCHAR(16)' },
      { Name: 'toString', Mapping: '$.a.toString', SqlType: 'VARCHAR(16)' },
    ];
    // RecordRowPath `$` takes the flat decoder; `$[0:]` the general one.
    expect(compileRecordDecoder(json(columns))(buf({ a: {} }))).toEqual({ rows: [[null, null]], errors: [] });
    expect(compileRecordDecoder(json(columns, '$[0:]'))(buf([{ a: {} }]))).toEqual({ rows: [[null, null]], errors: [] });
    expect(compileRecordDecoder(json(columns))(buf({ constructor: 'mine', a: { toString: 'also' } }))).toEqual({ rows: [['mine', 'also']], errors: [] });
  });

  it('gives the same rows and errors on the flat path as on the general one', () => {
    const columns: RecordColumn[] = [
      { Name: 'T', Mapping: '$.t', SqlType: 'VARCHAR(4)' },
      { Name: 'P', Mapping: '$.p', SqlType: 'INTEGER' },
      { Name: 'N', Mapping: '$.n.x', SqlType: 'DOUBLE' },
    ];
    const flat = compileRecordDecoder(json(columns));
    const general = compileRecordDecoder(json(columns, '$[0:]'));
    for (const record of [{ t: 'AMZN', p: 3, n: { x: 1.5 } }, { t: 'LONGER', p: '4' }, { p: 'x' }, {}, { n: [1] }]) {
      const a = flat(buf(record));
      const b = general(buf([record]));
      expect(a.rows).toEqual(b.rows);
      expect(a.errors.map((e) => e.message)).toEqual(b.errors.map((e) => e.message));
    }
    expect(flat(buf('not json')).errors).toHaveLength(1);
  });
});

describe('compileRecordDecoder, CSV', () => {
  const columns: RecordColumn[] = [
    { Name: 'LastName', SqlType: 'VARCHAR(16)' },
    { Name: 'FirstName', SqlType: 'VARCHAR(16)' },
    { Name: 'CustomerId', SqlType: 'INTEGER' },
  ];

  it('splits a record into rows and fields by position, quoted fields included', () => {
    const decode = compileRecordDecoder(csv(columns));
    expect(decode(buf('Doe,John,7\n"Smith, Jr.","Ann ""A""",8\n')).rows).toEqual([['Doe', 'John', 7], ['Smith, Jr.', 'Ann "A"', 8]]);
  });

  it('makes missing trailing fields NULL and ignores extra ones', () => {
    const decode = compileRecordDecoder(csv(columns, '\r\n', '|'));
    expect(decode(buf('Doe|John\r\nRoe|Jane|9|extra')).rows).toEqual([['Doe', 'John', null], ['Roe', 'Jane', 9]]);
  });

  it('sends only the bad row to the errors', () => {
    const decode = compileRecordDecoder(csv(columns));
    const { rows, errors } = decode(buf('Doe,John,7\nRoe,Jane,seven\n'));
    expect(rows).toEqual([['Doe', 'John', 7]]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.raw).toBe('Roe,Jane,seven');
    expect(errors[0]?.message).toContain('Column CustomerId (INTEGER)');
  });

  it('keeps delimiters inside quotes and drops blank lines', () => {
    expect(splitCsv('a,"b\nc"\n\nd,e', '\n', ',')).toEqual([['a', 'b\nc'], ['d', 'e']]);
    expect(splitCsv('a||b', '\n', '||')).toEqual([['a', 'b']]);
  });
});

describe('compileRecordEncoder', () => {
  const columns = [
    { name: 'TICKER', type: 'VARCHAR' as const },
    { name: 'PRICE', type: 'DOUBLE' as const },
    { name: 'UP', type: 'BOOLEAN' as const },
    { name: 'TS', type: 'TIMESTAMP' as const },
  ];
  const ts = parseTimestamp('2018-08-01 20:17:20.5') ?? 0;

  it('writes one JSON object per row, keyed by column name', () => {
    const encode = compileRecordEncoder('JSON', columns);
    expect(encode(['QXZ', 84.51, true, ts]).toString()).toBe('{"TICKER":"QXZ","PRICE":84.51,"UP":true,"TS":"2018-08-01 20:17:20.500"}');
    expect(encode([null, null, null, null]).toString()).toBe('{"TICKER":null,"PRICE":null,"UP":null,"TS":null}');
  });

  it('writes CSV rows ending in a newline, quoting only when needed', () => {
    const encode = compileRecordEncoder('CSV', columns);
    expect(encode(['QXZ', 84.51, false, ts]).toString()).toBe('QXZ,84.51,false,2018-08-01 20:17:20.500\n');
    expect(encode(['a,"b"', null, null, null]).toString()).toBe('"a,""b""",,,\n');
  });

  it('round-trips through the decoder', () => {
    const encode = compileRecordEncoder('CSV', columns);
    const decode = compileRecordDecoder(csv([
      { Name: 'TICKER', SqlType: 'VARCHAR(8)' },
      { Name: 'PRICE', SqlType: 'DOUBLE' },
      { Name: 'UP', SqlType: 'BOOLEAN' },
      { Name: 'TS', SqlType: 'TIMESTAMP' },
    ]));
    expect(decode(encode(['a,"b"', 1.5, true, ts])).rows).toEqual([['a,"b"', 1.5, true, ts]]);
  });
});
