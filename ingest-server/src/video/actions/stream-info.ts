/** A stream document as the wire's StreamInfo (CreationTime in epoch seconds). */
import type { VideoStreamDoc } from '../model.js';
import type { StreamInfoOut } from '../schemas.js';

export function toStreamInfoOut(doc: VideoStreamDoc): StreamInfoOut {
  return {
    ...(doc.deviceName !== undefined ? { DeviceName: doc.deviceName } : {}),
    StreamName: doc.name,
    StreamARN: doc.arn,
    ...(doc.mediaType !== undefined ? { MediaType: doc.mediaType } : {}),
    ...(doc.kmsKeyId !== undefined ? { KmsKeyId: doc.kmsKeyId } : {}),
    Version: doc.version,
    Status: doc.status,
    CreationTime: doc.creationTimeMs / 1000,
    DataRetentionInHours: doc.dataRetentionInHours,
  };
}
