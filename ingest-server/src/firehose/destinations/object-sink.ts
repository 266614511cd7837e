/**
 * The ObjectSink seam: where a Firehose destination puts whole objects (S3 data, S3 backup,
 * error output). Owns only the interface; the embedded default is FileObjectSink (a directory
 * as the bucket) and S3ObjectSink talks to any S3 API. Retries belong to the caller: a sink
 * makes one attempt and throws RivuletError FIREHOSE_DELIVERY when it fails.
 */

export interface PutObjectOptions {
  contentType?: string;
  contentEncoding?: string;
  metadata?: Record<string, string>;
}

export interface ObjectSink {
  /** Where objects go, for logs and error messages (e.g. "file:///var/lib/rivulet/s3" or "s3://bucket"). */
  readonly description: string;
  /**
   * Stores body under key, replacing any object already there, so a re-delivered batch
   * overwrites its earlier copy instead of duplicating it.
   */
  /** `body` may come in parts (written in order, never joined where the sink can avoid it). */
  put(key: string, body: Buffer | readonly Buffer[], options?: PutObjectOptions): Promise<void>;
  /** Reads a whole object (Analytics reference data lives in the same buckets). */
  get(key: string): Promise<Buffer>;
}
