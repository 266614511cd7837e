/**
 * S3ObjectSink: an ObjectSink that PUTs objects to an S3 API (AWS S3, Ceph radosgw, MinIO) with
 * @aws-sdk/client-s3. Owns the client and the error mapping; it makes one attempt per put and
 * leaves retries and backoff to the caller, which owns the delivery schedule.
 */
import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { RivuletError } from '@rivulet/shared';
import type { ObjectSink, PutObjectOptions } from './object-sink.js';

export interface S3SinkOptions {
  bucket: string;
  /** For S3-compatible servers, e.g. http://127.0.0.1:7480; omitted = AWS. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Omitted = the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class S3ObjectSink implements ObjectSink {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3SinkOptions) {
    if (options.bucket.length === 0) throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: 'The S3 bucket name must not be empty' });
    this.bucket = options.bucket;
    this.description = `s3://${options.bucket}`;
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // The caller retries the whole delivery on its own schedule; SDK retries would multiply it.
      maxAttempts: 1,
      // Checksums only where S3 requires them: S3-compatible servers differ in which
      // x-amz-checksum-* headers and aws-chunked trailers they accept.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.credentials !== undefined) config.credentials = options.credentials;
    this.client = new S3Client(config);
  }

  async put(key: string, parts: Buffer | readonly Buffer[], options: PutObjectOptions = {}): Promise<void> {
    const body = Buffer.isBuffer(parts) ? parts : Buffer.concat(parts);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: options.contentType,
          ContentEncoding: options.contentEncoding,
          Metadata: options.metadata,
        }),
      );
    } catch (err) {
      throw new RivuletError('FIREHOSE_DELIVERY', { destination: this.description, message: `PutObject ${key}: ${s3ErrorText(err)}` }, { cause: err });
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    } catch (err) {
      throw new RivuletError('FIREHOSE_DELIVERY', { destination: this.description, message: `GetObject ${key}: ${s3ErrorText(err)}` }, { cause: err });
    }
  }

  /** Releases the client's sockets; the sink is unusable afterwards. */
  close(): void {
    this.client.destroy();
  }
}

/** "NoSuchBucket: The specified bucket does not exist" (the S3 error name first, for the caller's logs and metrics). */
function s3ErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const name = err.name === 'Error' && code !== undefined ? code : err.name;
  return err.message && err.message !== name ? `${name}: ${err.message}` : name;
}
