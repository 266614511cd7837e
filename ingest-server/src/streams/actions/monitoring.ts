import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import type { StreamsService } from '../service.js';
import { streamsAction } from './define.js';

const METRICS = ['IncomingBytes', 'IncomingRecords', 'OutgoingBytes', 'OutgoingRecords', 'WriteProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded', 'IteratorAgeMilliseconds'];

async function setMetrics(svc: StreamsService, input: { StreamName?: string; StreamARN?: string; ShardLevelMetrics: string[] }, enable: boolean) {
  const stream = svc.registry.require(input);
  const requested = input.ShardLevelMetrics.includes('ALL') ? METRICS : input.ShardLevelMetrics;
  const unknown = requested.filter((m) => !METRICS.includes(m));
  if (unknown.length > 0) throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `Unknown shard-level metrics: ${unknown.join(', ')}` });
  const current = stream.doc.shardLevelMetrics;
  const desired = enable ? [...new Set([...current, ...requested])] : current.filter((m) => !requested.includes(m));
  stream.doc.shardLevelMetrics = desired;
  await svc.registry.save(stream);
  return { StreamName: stream.doc.name, StreamARN: stream.arn, CurrentShardLevelMetrics: current, DesiredShardLevelMetrics: desired };
}

export const enableEnhancedMonitoring = streamsAction('EnableEnhancedMonitoring', Schemas.EnableEnhancedMonitoring, (svc, input) => setMetrics(svc, input, true));
export const disableEnhancedMonitoring = streamsAction('DisableEnhancedMonitoring', Schemas.DisableEnhancedMonitoring, (svc, input) => setMetrics(svc, input, false));
