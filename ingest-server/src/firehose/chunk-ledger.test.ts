import { describe, expect, it } from 'vitest';
import { ChunkLedger } from './chunk-ledger.js';
import { CHUNK_SPAN } from './store.js';

const seq = (chunk: number, index: number) => chunk * CHUNK_SPAN + index;

describe('ChunkLedger', () => {
  it('deletes a chunk once every record is cut, and marks the indexes done before that', () => {
    const ledger = new ChunkLedger();
    ledger.open(3, 3);
    for (let i = 0; i < 3; i++) ledger.produced(seq(3, i));
    const first = ledger.cut([seq(3, 0), seq(3, 2)], new Set());
    expect(first.deleted).toEqual([]);
    expect(first.consumed.get(3)).toEqual([0, 2]);
    const second = ledger.cut([seq(3, 1)], new Set());
    expect(second.deleted).toEqual([3]);
    expect(second.consumed.size).toBe(0);
  });

  it('keeps a record until every item it produced is cut (de-aggregation)', () => {
    const ledger = new ChunkLedger();
    ledger.open(0, 1);
    ledger.produced(seq(0, 0));
    ledger.produced(seq(0, 0));
    expect(ledger.cut([seq(0, 0)], new Set()).deleted).toEqual([]);
    expect(ledger.cut([seq(0, 0)], new Set()).deleted).toEqual([0]);
  });

  it('consumes dropped records, and a whole-chunk item consumes its chunk at once', () => {
    const ledger = new ChunkLedger();
    ledger.open(1, 2);
    ledger.open(2, 500);
    expect(ledger.drop([seq(1, 1)]).consumed.get(1)).toEqual([1]);
    expect(ledger.drop([seq(1, 0)]).deleted).toEqual([1]);
    expect(ledger.cut([seq(2, 0)], new Set([seq(2, 0)])).deleted).toEqual([2]);
  });

  it('continues from a recovered marker, and forgets chunks a batch took', () => {
    const ledger = new ChunkLedger();
    ledger.restore(7, 3, [0, 1]);
    expect(ledger.cut([seq(7, 2)], new Set()).deleted).toEqual([7]);
    ledger.open(8, 2);
    ledger.take([8]);
    expect(ledger.cut([seq(8, 0), seq(8, 1)], new Set()).deleted).toEqual([]);
  });
});
