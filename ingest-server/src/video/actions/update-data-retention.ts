/** UpdateDataRetention: grows or shrinks a stream's retention, guarded by CurrentVersion. */
import { RivuletError } from '@rivulet/shared';
import { RETENTION } from '../model.js';
import { VideoSchemas, type VideoOutput } from '../schemas.js';
import { videoAction } from './define.js';

export const updateDataRetention = videoAction('/updateDataRetention', VideoSchemas.UpdateDataRetention, async (svc, input): Promise<VideoOutput<'Empty'>> => {
  const doc = svc.require(input);
  if (input.CurrentVersion !== doc.version) throw new RivuletError('VIDEO_VERSION_MISMATCH', { given: input.CurrentVersion, current: doc.version });
  const change = input.DataRetentionChangeInHours;
  const next = input.Operation === 'INCREASE_DATA_RETENTION' ? doc.dataRetentionInHours + change : doc.dataRetentionInHours - change;
  if (next < 0) {
    throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: `Cannot decrease retention by ${change} hours: the stream keeps ${doc.dataRetentionInHours}` });
  }
  if (next > RETENTION.maxHours) {
    throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: `Retention would be ${next} hours; the maximum is ${RETENTION.maxHours}` });
  }
  await svc.fragments.saveStream({ ...doc, dataRetentionInHours: next, version: svc.newVersion() });
  return {};
});
