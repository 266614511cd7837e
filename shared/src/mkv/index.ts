/** The MKV reader's public surface: the streaming reader, its document shapes and the summary. */
export { MkvStreamReader, DEFAULT_TIMECODE_SCALE_NS } from './mkv-stream-reader.js';
export type { MkvBlock, MkvCluster, MkvDocument, MkvEvent, MkvStreamReaderOptions, MkvTrack } from './mkv-types.js';
export { summarizeMkvDocument, frameIntervalMs, type MkvSummary } from './mkv-summary.js';
export { MKV_IDS } from './ebml.js';
