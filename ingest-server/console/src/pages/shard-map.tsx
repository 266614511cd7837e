/**
 * The shard map: each shard's hash-key range drawn on the 128-bit key space, open shards first,
 * with the lineage a reshard leaves (parent and adjacent parent) and closed shards greyed.
 */
import type { Shard } from './kinesis-types.js';

const KEY_SPACE = 2n ** 128n;

function percent(key: string): number {
  return Number((BigInt(key) * 100_000n) / KEY_SPACE) / 1000;
}

export function ShardMap({ shards }: { shards: Shard[] }) {
  const sorted = [...shards].sort((a, b) => {
    const closedA = a.SequenceNumberRange.EndingSequenceNumber !== undefined ? 1 : 0;
    const closedB = b.SequenceNumberRange.EndingSequenceNumber !== undefined ? 1 : 0;
    if (closedA !== closedB) return closedA - closedB;
    return BigInt(a.HashKeyRange.StartingHashKey) < BigInt(b.HashKeyRange.StartingHashKey) ? -1 : 1;
  });
  return (
    <section class="shard-map" aria-label="shard map">
      <h3>Shard map</h3>
      <table class="grid">
        <thead>
          <tr>
            <th>Shard</th>
            <th>State</th>
            <th>Parents</th>
            <th class="wide">Hash-key range</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((s) => {
            const closed = s.SequenceNumberRange.EndingSequenceNumber !== undefined;
            const left = percent(s.HashKeyRange.StartingHashKey);
            const right = percent(s.HashKeyRange.EndingHashKey);
            const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => p !== undefined);
            return (
              <tr key={s.ShardId} class={closed ? 'closed' : ''} data-map-shard={s.ShardId}>
                <td>{s.ShardId}</td>
                <td>{closed ? 'closed' : 'open'}</td>
                <td>{parents.length > 0 ? parents.join(' + ') : '–'}</td>
                <td class="wide">
                  <div class="range" title={`${s.HashKeyRange.StartingHashKey} – ${s.HashKeyRange.EndingHashKey}`}>
                    <div class="bar" style={{ left: `${left}%`, width: `${Math.max(0.5, right - left)}%` }} />
                  </div>
                  <small class="mono">
                    {s.HashKeyRange.StartingHashKey} – {s.HashKeyRange.EndingHashKey}
                  </small>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
