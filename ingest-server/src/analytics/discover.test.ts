import type { RivuletError } from '@rivulet/shared';
import { describe, expect, it } from 'vitest';
import { discoverSchema, discoveredName } from './discover.js';
import { compileRecordDecoder } from './record-format.js';

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

/** Every sample decodes with the discovered schema, without errors. */
function expectRoundTrip(samples: Buffer[], rowsPerSample = 1): void {
  const { InputSchema } = discoverSchema(samples);
  const decode = compileRecordDecoder(InputSchema);
  for (const sample of samples) {
    const { rows, errors } = decode(sample);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(rowsPerSample);
  }
}

describe('discoveredName', () => {
  it('follows the examples of "Column Naming During Schema Discovery"', () => {
    expect(discoveredName('USER', 0)).toBe('COL_USER');
    expect(discoveredName('USER@DOMAIN', 0)).toBe('COL_USERDOMAIN');
    expect(discoveredName('@@', 0)).toBe('COL_0');
    expect(discoveredName('year', 0)).toBe('COL_year');
    expect(discoveredName('ticker_symbol', 3)).toBe('ticker_symbol');
    expect(discoveredName('1st', 0)).toBe('COL_1st');
    expect(discoveredName('x'.repeat(120), 0)).toHaveLength(100);
  });
});

describe('discoverSchema, JSON', () => {
  const stocks = [
    { TICKER_SYMBOL: 'QXZ', SECTOR: 'HEALTHCARE', CHANGE: -0.05, PRICE: 84.51 },
    { TICKER_SYMBOL: 'AMZN', SECTOR: 'TECHNOLOGY', CHANGE: 1, PRICE: 1800 },
  ].map(buf);

  it('infers columns, mappings and types from the stock ticker samples', () => {
    const result = discoverSchema(stocks);
    expect(result.InputSchema).toEqual({
      RecordFormat: { RecordFormatType: 'JSON', MappingParameters: { JSONMappingParameters: { RecordRowPath: '$' } } },
      RecordEncoding: 'UTF-8',
      RecordColumns: [
        { Name: 'TICKER_SYMBOL', Mapping: '$.TICKER_SYMBOL', SqlType: 'VARCHAR(4)' },
        { Name: 'SECTOR', Mapping: '$.SECTOR', SqlType: 'VARCHAR(16)' },
        { Name: 'CHANGE', Mapping: '$.CHANGE', SqlType: 'DOUBLE' },
        { Name: 'PRICE', Mapping: '$.PRICE', SqlType: 'DOUBLE' },
      ],
    });
    expect(result.ParsedInputRecords).toEqual([['QXZ', 'HEALTHCARE', '-0.05', '84.51'], ['AMZN', 'TECHNOLOGY', '1', '1800']]);
    expect(result.RawInputRecords).toEqual(stocks.map((b) => b.toString()));
    expect(result.ProcessedInputRecords).toEqual(result.RawInputRecords);
    expectRoundTrip(stocks);
  });

  it('flattens nested objects, keeps arrays whole, and types booleans, big integers and timestamps', () => {
    const samples = [
      { id: 1, ok: true, big: 5_000_000_000, at: '2018-08-01 20:17:20', geo: { lat: 1.5, city: 'Oslo' }, src: { city: 'x' }, tags: ['a'], 'e-mail': 'a@b', timestamp: 'now', missing: null },
      { id: 2, ok: false, big: 1, at: '2018-08-01 20:17:21.250', geo: { lat: 2, city: 'Bergen' }, src: { city: 'y' }, tags: [], 'e-mail': 'c@d', timestamp: 'later' },
    ].map(buf);
    const { InputSchema } = discoverSchema(samples);
    expect(InputSchema.RecordColumns).toEqual([
      { Name: 'id', Mapping: '$.id', SqlType: 'INTEGER' },
      { Name: 'ok', Mapping: '$.ok', SqlType: 'BOOLEAN' },
      { Name: 'big', Mapping: '$.big', SqlType: 'BIGINT' },
      { Name: 'at', Mapping: '$.at', SqlType: 'TIMESTAMP' },
      { Name: 'lat', Mapping: '$.geo.lat', SqlType: 'DOUBLE' },
      { Name: 'geo_city', Mapping: '$.geo.city', SqlType: 'VARCHAR(8)' },
      { Name: 'src_city', Mapping: '$.src.city', SqlType: 'VARCHAR(4)' },
      { Name: 'tags', Mapping: '$.tags[0:]', SqlType: 'VARCHAR(8)' },
      { Name: 'COL_email', Mapping: "$['e-mail']", SqlType: 'VARCHAR(4)' },
      { Name: 'COL_timestamp', Mapping: '$.timestamp', SqlType: 'VARCHAR(8)' },
      { Name: 'missing', Mapping: '$.missing', SqlType: 'VARCHAR(4)' },
    ]);
    expectRoundTrip(samples);
  });

  it('reads records that are arrays of objects as several rows', () => {
    const samples = [buf([{ a: 1 }, { a: 2 }]), buf([{ a: 3 }, { a: 4 }])];
    expect(discoverSchema(samples).InputSchema.RecordFormat.MappingParameters).toEqual({ JSONMappingParameters: { RecordRowPath: '$[0:]' } });
    expectRoundTrip(samples, 2);
  });
});

describe('discoverSchema, CSV', () => {
  // KDA Developer Guide, "Using the Schema Discovery Feature on Static Data".
  const file = [
    'year,month,state,producer_type,energy_source,units,consumption',
    '2001,1,AK,TotalElectricPowerIndustry,Coal,ShortTons,47615',
    '2001,1,AK,ElectricGeneratorsElectricUtilities,Coal,ShortTons,16535',
    '2001,1,AK,CombinedHeatandPowerElectricPower,Coal,ShortTons,22890',
    '2001,1,AL,TotalElectricPowerIndustry,Coal,ShortTons,3020601',
    '2001,1,AL,ElectricGeneratorsElectricUtilities,Coal,ShortTons,2987681',
  ].join('\r\n');

  it('reproduces the AWS example response', () => {
    const result = discoverSchema([buf(file)]);
    expect(result.InputSchema).toEqual({
      RecordEncoding: 'UTF-8',
      RecordColumns: [
        { SqlType: 'INTEGER', Name: 'COL_year' },
        { SqlType: 'INTEGER', Name: 'COL_month' },
        { SqlType: 'VARCHAR(4)', Name: 'state' },
        { SqlType: 'VARCHAR(64)', Name: 'producer_type' },
        { SqlType: 'VARCHAR(4)', Name: 'energy_source' },
        { SqlType: 'VARCHAR(16)', Name: 'units' },
        { SqlType: 'INTEGER', Name: 'consumption' },
      ],
      RecordFormat: { RecordFormatType: 'CSV', MappingParameters: { CSVMappingParameters: { RecordRowDelimiter: '\r\n', RecordColumnDelimiter: ',' } } },
    });
    expect(result.RawInputRecords).toEqual([file]);
    expect(result.ParsedInputRecords[0]).toEqual([null, null, 'state', 'producer_type', 'energy_source', 'units', null]);
    expect(result.ParsedInputRecords[1]).toEqual(['2001', '1', 'AK', 'TotalElectricPowerIndustry', 'Coal', 'ShortTons', '47615']);
  });

  it('decodes the data rows of the discovered schema; the header row goes to the errors', () => {
    const { InputSchema } = discoverSchema([buf(file)]);
    const { rows, errors } = compileRecordDecoder(InputSchema)(buf(file));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual([2001, 1, 'AK', 'TotalElectricPowerIndustry', 'Coal', 'ShortTons', 47615]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('Column COL_year (INTEGER)');
  });

  it('names headerless columns COL_0.. and detects other delimiters', () => {
    const samples = ['a|1.5|true|2020-01-01 00:00:00', 'bbbbb|2|false|2020-01-02 00:00:00'].map(buf);
    const { InputSchema } = discoverSchema(samples);
    expect(InputSchema.RecordColumns).toEqual([
      { Name: 'COL_0', SqlType: 'VARCHAR(8)' },
      { Name: 'COL_1', SqlType: 'DOUBLE' },
      { Name: 'COL_2', SqlType: 'BOOLEAN' },
      { Name: 'COL_3', SqlType: 'TIMESTAMP' },
    ]);
    expect(InputSchema.RecordFormat.MappingParameters?.CSVMappingParameters).toEqual({ RecordRowDelimiter: '\n', RecordColumnDelimiter: '|' });
    expectRoundTrip(samples);
  });
});

describe('discoverSchema, failures', () => {
  it('throws UnableToDetectSchema with the raw records when there is no structure', () => {
    const samples = ['just some words', 'and more'].map(buf);
    expect(() => discoverSchema(samples)).toThrow(expect.objectContaining({
      code: 'ANALYTICS_UNABLE_TO_DETECT_SCHEMA',
      awsType: 'UnableToDetectSchemaException',
      wireFields: { RawInputRecords: ['just some words', 'and more'], ProcessedInputRecords: ['just some words', 'and more'] },
    }));
    const wire = (() => {
      try {
        discoverSchema(samples);
      } catch (err) {
        return (err as RivuletError).toWire();
      }
      return undefined;
    })();
    expect(wire).toMatchObject({ __type: 'UnableToDetectSchemaException', RawInputRecords: ['just some words', 'and more'] });
    expect(() => discoverSchema([])).toThrow('No data found');
  });
});
