/**
 * The one registry of coded errors. Each code names its HTTP status, the AWS exception name it
 * is sent as on the wire, and a message template with {placeholders}. Domain code throws
 * RivuletError with a code; the transport turns it into {"__type", "message"}.
 */

export interface ErrorSpec {
  status: number;
  awsType: string;
  template: string;
}

export const ERRORS = {
  // Protocol and transport
  PROTOCOL_UNKNOWN_OPERATION: { status: 400, awsType: 'UnknownOperationException', template: '{message}' },
  PROTOCOL_SERIALIZATION: { status: 400, awsType: 'SerializationException', template: '{message}' },
  PROTOCOL_BODY_TOO_LARGE: { status: 413, awsType: 'SerializationException', template: 'Request body exceeds the limit of {limit} bytes' },
  PROTOCOL_VALIDATION: { status: 400, awsType: 'ValidationException', template: '{message}' },
  PROTOCOL_NOT_FOUND: { status: 404, awsType: 'UnknownOperationException', template: 'No route for {method} {url}' },
  PROTOCOL_INTERNAL: { status: 500, awsType: 'InternalFailure', template: 'The request processing has failed because of an unknown error.' },
  PROTOCOL_UNAVAILABLE: { status: 503, awsType: 'ServiceUnavailable', template: 'The server is shutting down' },

  // Authentication (SigV4)
  AUTH_MISSING: { status: 403, awsType: 'MissingAuthenticationTokenException', template: 'Missing Authentication Token' },
  AUTH_INCOMPLETE: { status: 403, awsType: 'IncompleteSignatureException', template: '{message}' },
  AUTH_UNKNOWN_KEY: { status: 403, awsType: 'UnrecognizedClientException', template: 'The security token included in the request is invalid.' },
  AUTH_BAD_SIGNATURE: {
    status: 403,
    awsType: 'InvalidSignatureException',
    template: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
  },
  AUTH_EXPIRED: { status: 403, awsType: 'InvalidSignatureException', template: 'Signature expired: {message}' },
  // Web console (issue 8): login with an access key id and secret
  CONSOLE_LOGIN_FAILED: { status: 403, awsType: 'NotAuthorizedException', template: 'The access key id or secret access key is not valid.' },

  // Data Streams
  STREAMS_NOT_FOUND: { status: 400, awsType: 'ResourceNotFoundException', template: 'Stream {stream} under account {account} not found.' },
  STREAMS_SHARD_NOT_FOUND: { status: 400, awsType: 'ResourceNotFoundException', template: 'Shard {shard} in stream {stream} under account {account} does not exist' },
  STREAMS_CONSUMER_NOT_FOUND: { status: 400, awsType: 'ResourceNotFoundException', template: 'Consumer {consumer} not found.' },
  STREAMS_IN_USE: { status: 400, awsType: 'ResourceInUseException', template: '{message}' },
  STREAMS_LIMIT: { status: 400, awsType: 'LimitExceededException', template: '{message}' },
  STREAMS_INVALID_ARGUMENT: { status: 400, awsType: 'InvalidArgumentException', template: '{message}' },
  STREAMS_EXPIRED_ITERATOR: { status: 400, awsType: 'ExpiredIteratorException', template: 'Iterator expired. The iterator was created at time {created} while right now it is {now} which is further in the future than the tolerated delay of 300000 milliseconds.' },
  STREAMS_THROUGHPUT: { status: 400, awsType: 'ProvisionedThroughputExceededException', template: 'Rate exceeded for shard {shard} in stream {stream} under account {account}.' },
  STREAMS_KMS_NOT_FOUND: { status: 400, awsType: 'KMSNotFoundException', template: 'Key {keyId} does not exist in the key store' },
  STREAMS_KMS_DISABLED: { status: 400, awsType: 'KMSDisabledException', template: 'Key {keyId} is disabled' },
  STREAMS_STORAGE: { status: 500, awsType: 'InternalFailure', template: 'Storage failure: {message}' },
  // A replicated store (JetStream) that cannot reach a quorum: retryable, so the SDK retries it
  STREAMS_STORAGE_UNAVAILABLE: { status: 503, awsType: 'ServiceUnavailable', template: 'Storage unavailable: {message}' },

  // Agent (these never cross the wire; the AWS names only keep the shape uniform)
  AGENT_BUFFER: { status: 500, awsType: 'InternalFailure', template: 'Agent buffer: {message}' },
  AGENT_INVALID_RECORD: { status: 400, awsType: 'InvalidArgumentException', template: 'Agent record refused: {message}' },
  AGENT_CONFIG: { status: 400, awsType: 'InvalidArgumentException', template: 'Agent configuration: {message}' },
  AGENT_CAMERA: { status: 500, awsType: 'InternalFailure', template: 'Camera source {source}: {message}' },

  // Video Streams (REST-JSON: the SDK reads the x-amzn-ErrorType header and the body's message)
  VIDEO_STREAM_NOT_FOUND: { status: 404, awsType: 'ResourceNotFoundException', template: 'The requested stream {stream} is not found or not active.' },
  VIDEO_FRAGMENT_NOT_FOUND: { status: 404, awsType: 'ResourceNotFoundException', template: 'Fragment {fragment} of stream {stream} is not found.' },
  VIDEO_IN_USE: { status: 400, awsType: 'ResourceInUseException', template: '{message}' },
  VIDEO_INVALID_ARGUMENT: { status: 400, awsType: 'InvalidArgumentException', template: '{message}' },
  VIDEO_CLIENT_LIMIT: { status: 400, awsType: 'ClientLimitExceededException', template: '{message}' },
  VIDEO_ACCOUNT_STREAM_LIMIT: { status: 400, awsType: 'AccountStreamLimitExceededException', template: 'The account {account} already has {limit} video streams.' },
  VIDEO_NOT_AUTHORIZED: { status: 401, awsType: 'NotAuthorizedException', template: '{message}' },
  VIDEO_VERSION_MISMATCH: { status: 400, awsType: 'VersionMismatchException', template: 'The stream version {given} does not match the current version {current}.' },
  VIDEO_TAGS_LIMIT: { status: 400, awsType: 'TagsPerResourceExceededLimitException', template: 'A stream can have at most {limit} tags.' },
  VIDEO_STORAGE: { status: 500, awsType: 'InternalFailure', template: 'Video storage failure: {message}' },
  // MKV reading (shared/src/mkv): PutMedia turns these into ERROR acknowledgements
  VIDEO_INVALID_MKV: { status: 400, awsType: 'InvalidArgumentException', template: 'Invalid MKV data at byte {offset}: {message}' },
  VIDEO_FRAGMENT_TOO_LARGE: { status: 400, awsType: 'InvalidArgumentException', template: 'The MKV document exceeds the limit of {limit} bytes' },
  // Archived media reads (clips, HLS, images, GetMedia)
  VIDEO_NO_FRAGMENTS: { status: 404, awsType: 'ResourceNotFoundException', template: 'No fragments found in stream {stream} {where}.' },
  VIDEO_MEDIA_PROCESSING: { status: 500, awsType: 'InternalFailure', template: 'Media processing failed: {message}' },

  // Firehose (Firehose_20150804)
  FIREHOSE_NOT_FOUND: { status: 400, awsType: 'ResourceNotFoundException', template: 'Firehose {stream} under account {account} not found.' },
  FIREHOSE_IN_USE: { status: 400, awsType: 'ResourceInUseException', template: '{message}' },
  FIREHOSE_INVALID_ARGUMENT: { status: 400, awsType: 'InvalidArgumentException', template: '{message}' },
  FIREHOSE_LIMIT: { status: 400, awsType: 'LimitExceededException', template: '{message}' },
  FIREHOSE_CONCURRENT_MODIFICATION: { status: 400, awsType: 'ConcurrentModificationException', template: '{message}' },
  FIREHOSE_UNAVAILABLE: { status: 503, awsType: 'ServiceUnavailableException', template: '{message}' },
  FIREHOSE_STORAGE: { status: 500, awsType: 'InternalFailure', template: 'Firehose storage failure: {message}' },
  // Delivery-side failures: recorded on the delivery stream (DescribeDeliveryStream, metrics), never sent to a PutRecord caller
  FIREHOSE_DELIVERY: { status: 500, awsType: 'InternalFailure', template: 'Delivery to {destination} failed: {message}' },
  FIREHOSE_TRANSFORM: { status: 500, awsType: 'InternalFailure', template: 'Data transformation failed: {message}' },
  FIREHOSE_FORMAT_CONVERSION: { status: 500, awsType: 'InternalFailure', template: 'Format conversion failed: {message}' },
  // Analytics (KinesisAnalytics_20150814)
  ANALYTICS_NOT_FOUND: { status: 400, awsType: 'ResourceNotFoundException', template: '{message}' },
  ANALYTICS_IN_USE: { status: 400, awsType: 'ResourceInUseException', template: '{message}' },
  ANALYTICS_INVALID_ARGUMENT: { status: 400, awsType: 'InvalidArgumentException', template: '{message}' },
  ANALYTICS_INVALID_CONFIGURATION: { status: 400, awsType: 'InvalidApplicationConfigurationException', template: '{message}' },
  /** The application code does not parse or compile; the message carries the line and column. */
  ANALYTICS_CODE: { status: 400, awsType: 'CodeValidationException', template: '{message}' },
  ANALYTICS_CONCURRENT_MODIFICATION: { status: 400, awsType: 'ConcurrentModificationException', template: '{message}' },
  ANALYTICS_LIMIT: { status: 400, awsType: 'LimitExceededException', template: '{message}' },
  ANALYTICS_UNABLE_TO_DETECT_SCHEMA: { status: 400, awsType: 'UnableToDetectSchemaException', template: '{message}' },
  ANALYTICS_UNSUPPORTED: { status: 400, awsType: 'UnsupportedOperationException', template: '{message}' },
  ANALYTICS_STORAGE: { status: 500, awsType: 'InternalFailure', template: 'Analytics storage failure: {message}' },

  // rivulet CLI (issue 8; never cross the wire: the name is what `rivulet: <name>: <message>` shows)
  CLI_USAGE: { status: 400, awsType: 'UsageError', template: '{message}' },
  CLI_INPUT: { status: 400, awsType: 'InvalidInputError', template: '{message}' },
  CLI_WAIT_TIMEOUT: { status: 500, awsType: 'TimeoutError', template: '{what} did not become {state} within {seconds} s' },
  CLI_PUT_FAILED: { status: 500, awsType: 'PutFailedError', template: '{count} record(s) could not be written after {attempts} attempts: {reason}' },
  CLI_CONNECTION: { status: 500, awsType: 'ConnectionError', template: 'cannot reach {endpoint}: {message}' },

  // Blob stores (ingest-server/src/blob): object bytes on files or on the JetStream object store
  BLOB_INVALID_KEY: { status: 400, awsType: 'InvalidArgumentException', template: 'Invalid blob key: {message}' },
  BLOB_STORAGE: { status: 500, awsType: 'InternalFailure', template: 'Blob storage failure: {message}' },
  // A replicated blob store that cannot reach a quorum in time: retryable
  BLOB_STORAGE_UNAVAILABLE: { status: 503, awsType: 'ServiceUnavailable', template: 'Blob storage unavailable: {message}' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Fills {name} placeholders; unknown placeholders are left visible so they get noticed. */
export function formatTemplate(template: string, params: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}

export class RivuletError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly awsType: string;
  readonly params: Record<string, unknown>;
  /** Members of the AWS exception beyond its message (UnableToDetectSchemaException's RawInputRecords, say). */
  readonly wireFields: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, params: Record<string, unknown> = {}, options?: { cause?: unknown; wireFields?: Record<string, unknown> }) {
    const spec: ErrorSpec = ERRORS[code];
    super(formatTemplate(spec.template, params), options);
    this.name = 'RivuletError';
    this.code = code;
    this.status = spec.status;
    this.awsType = spec.awsType;
    this.params = params;
    this.wireFields = options?.wireFields;
  }

  /** The AWS JSON error body: {"__type": "...Exception", "message": "..."}. */
  toWire(): { __type: string; message: string } {
    return { ...this.wireFields, __type: this.awsType, message: this.message };
  }
}

export function isRivuletError(e: unknown): e is RivuletError {
  return e instanceof RivuletError;
}
