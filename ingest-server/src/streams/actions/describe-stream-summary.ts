import { describeStreamCommon } from '../describe.js';
import { Schemas } from '../schemas.js';
import { streamsAction } from './define.js';

export const describeStreamSummary = streamsAction('DescribeStreamSummary', Schemas.DescribeStreamSummary, async (svc, input) => {
  const stream = svc.registry.require(input);
  return {
    StreamDescriptionSummary: {
      ...describeStreamCommon(stream),
      OpenShardCount: stream.openShards.length,
      ConsumerCount: stream.doc.consumers.length,
    },
  };
});
