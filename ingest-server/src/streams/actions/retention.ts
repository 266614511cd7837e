import type { Static } from '@sinclair/typebox';
import { RivuletError } from '@rivulet/shared';
import { Schemas } from '../schemas.js';
import type { StreamsService } from '../service.js';
import { streamsAction } from './define.js';

/** Kinesis: retention is between 24 hours and 8,760 hours (365 days). */
const MIN_RETENTION_HOURS = 24;

type RetentionInput = Static<typeof Schemas.IncreaseStreamRetentionPeriod>;

async function changeRetention(svc: StreamsService, input: RetentionInput, direction: 'Increase' | 'Decrease'): Promise<object> {
  const stream = svc.registry.require(input);
  const hours = input.RetentionPeriodHours;
  const current = stream.doc.retentionHours;
  if (hours < MIN_RETENTION_HOURS) {
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: `Minimum allowed retention period is ${MIN_RETENTION_HOURS} hours. Requested retention period (${hours} hours) is too short.` });
  }
  const wrongWay = direction === 'Increase' ? hours < current : hours > current;
  if (wrongWay) {
    const [than, other] = direction === 'Increase' ? ['shorter', 'Decrease'] : ['longer', 'Increase'];
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', {
      message: `Requested retention period (${hours} hours) for stream ${stream.doc.name} can not be ${than} than existing retention period (${current} hours). Use ${other}StreamRetentionPeriod API.`,
    });
  }
  await svc.registry.exclusive(stream, async () => {
    stream.doc.retentionHours = hours;
    await svc.registry.save(stream);
  });
  return {};
}

export const increaseStreamRetentionPeriod = streamsAction('IncreaseStreamRetentionPeriod', Schemas.IncreaseStreamRetentionPeriod, (svc, input) =>
  changeRetention(svc, input, 'Increase'),
);

export const decreaseStreamRetentionPeriod = streamsAction('DecreaseStreamRetentionPeriod', Schemas.DecreaseStreamRetentionPeriod, (svc, input) =>
  changeRetention(svc, input, 'Decrease'),
);
