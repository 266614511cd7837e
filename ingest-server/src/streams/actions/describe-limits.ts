import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const describeLimits = streamsAction('DescribeLimits', Schemas.DescribeLimits, async (svc) => ({
  ShardLimit: svc.deps.config.shardLimit,
  OpenShardCount: svc.registry.openShardCount(),
  OnDemandStreamCount: svc.registry.onDemandStreamCount(),
  OnDemandStreamCountLimit: svc.deps.config.onDemandStreamLimit,
}));
