/**
 * Firehose data transformation: the Lambda contract, run against a local JS module or an HTTP(S) endpoint.
 * Owns building the invocation event, invoking with a timeout, retrying failed invocations with backoff,
 * and validating the response into per-record outcomes. It does not own batching, buffering or where
 * failed records are written (the delivery side, with failed-envelope.ts).
 *
 * AWS behaviour followed (Firehose developer guide):
 * - "Required parameters for data transformation": every returned record needs recordId, result
 *   (Ok | Dropped | ProcessingFailed) and base64 data; metadata.partitionKeys feeds dynamic partitioning.
 *   A record missing these is rejected and counts as a transformation failure (here: that record only,
 *   errorCode Lambda.JsonProcessingException).
 * - "Handle failure in data transformation": a failed invocation is retried (3 retries by default, the
 *   NumberOfRetries processor parameter); when retries run out the whole batch is unsuccessfully processed.
 * - "Lambda invocation errors" (CloudWatch Logs): Lambda.DuplicatedRecordId, Lambda.MissingRecordId and
 *   Lambda.JsonProcessingException fail the invocation as a whole; so do Lambda.InvokeAccessDenied,
 *   Lambda.InvokeLimitExceeded and Lambda.ResourceNotFound, used here for HTTP 403, 429 and 404/missing modules.
 * Anything else that goes wrong (a throwing handler, HTTP 5xx, a refused connection, a timeout) is
 * Lambda.FunctionError. Records the function itself marks ProcessingFailed get Lambda.ProcessingFailedStatus.
 */
import { pathToFileURL } from 'node:url';
import { RivuletError, type Clock } from '@rivulet/shared';

export interface TransformInputRecord {
  recordId: string;
  approximateArrivalTimestamp: number;
  data: Buffer;
}

export type TransformOutcome =
  | { recordId: string; result: 'Ok'; data: Buffer; partitionKeys: Record<string, string> }
  | { recordId: string; result: 'Dropped' }
  | { recordId: string; result: 'ProcessingFailed'; errorCode: string; errorMessage: string };

/** Where the function lives: a local ESM/CJS module exporting `handler(event, context)`, or an HTTP(S) URL that receives the event as a JSON POST body. */
export type FunctionTarget = { kind: 'module'; path: string } | { kind: 'http'; url: string };

export interface TransformDeps {
  clock: Clock;
  sleep(ms: number): Promise<void>;
  newId(): string;
  /** Jitter source in [0, 1); defaults to 0.5 (no randomness) when absent. */
  random?(): number;
}

export interface TransformOptions {
  target: FunctionTarget;
  functionArn: string;
  deliveryStreamArn: string;
  /** Retries after the first invocation; AWS's default is 3. */
  numberOfRetries: number;
  timeoutMs: number;
}

type InvokeOptions = Pick<TransformOptions, 'functionArn' | 'timeoutMs'>;

/**
 * One invocation of a configured function with any event, with no retries: the caller owns the
 * schedule. Analytics' Lambda output uses it with its own event shape.
 */
export async function invokeFunction(target: FunctionTarget, event: { invocationId: string }, options: InvokeOptions, deps: Pick<TransformDeps, 'clock'>): Promise<Invoked> {
  return target.kind === 'module' ? invokeModule(target.path, event, options, deps) : invokeHttp(target.url, event, options, deps);
}

export const LAMBDA_ERROR_CODES = {
  functionError: 'Lambda.FunctionError',
  jsonProcessing: 'Lambda.JsonProcessingException',
  duplicatedRecordId: 'Lambda.DuplicatedRecordId',
  missingRecordId: 'Lambda.MissingRecordId',
  resourceNotFound: 'Lambda.ResourceNotFound',
  invokeAccessDenied: 'Lambda.InvokeAccessDenied',
  invokeLimitExceeded: 'Lambda.InvokeLimitExceeded',
  processingFailedStatus: 'Lambda.ProcessingFailedStatus',
} as const;

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

export interface InvokeFailure {
  errorCode: string;
  errorMessage: string;
}

export type Invoked = { ok: true; body: unknown } | { ok: false; failure: InvokeFailure };
type Validated = { ok: true; outcomes: TransformOutcome[] } | { ok: false; failure: InvokeFailure };

type Handler = (event: unknown, context: unknown) => unknown;

/**
 * Loaded handler modules by path. Node's own ESM loader already keeps one instance per URL for the whole
 * process; this map only saves re-resolving and lets a module that failed to load be retried.
 */
const loadedModules = new Map<string, Promise<unknown>>();

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

const fail = (errorCode: string, errorMessage: string): { ok: false; failure: InvokeFailure } => ({ ok: false, failure: { errorCode, errorMessage } });

/** Runs work with a deadline driven by the injected clock; the signal aborts when the deadline passes. */
function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number, clock: Clock): Promise<{ timedOut: false; value: T } | { timedOut: true }> {
  return new Promise((resolve, reject) => {
    const ac = new AbortController();
    const timer = clock.setTimer(() => {
      ac.abort();
      resolve({ timedOut: true });
    }, timeoutMs);
    work(ac.signal).then(
      (value) => {
        timer.cancel();
        resolve({ timedOut: false, value });
      },
      (err: unknown) => {
        timer.cancel();
        reject(err);
      },
    );
  });
}

async function loadHandler(path: string): Promise<{ ok: true; handler: Handler } | { ok: false; failure: InvokeFailure }> {
  let pending = loadedModules.get(path);
  if (!pending) {
    pending = import(pathToFileURL(path).href) as Promise<unknown>;
    loadedModules.set(path, pending);
  }
  let mod: unknown;
  try {
    mod = await pending;
  } catch (err) {
    loadedModules.delete(path);
    return fail(LAMBDA_ERROR_CODES.resourceNotFound, `The function module ${path} could not be loaded: ${errorText(err)}`);
  }
  const m = mod as { handler?: unknown; default?: { handler?: unknown } };
  const handler = typeof m.handler === 'function' ? m.handler : m.default?.handler;
  if (typeof handler !== 'function') return fail(LAMBDA_ERROR_CODES.resourceNotFound, `The function module ${path} does not export a handler function`);
  return { ok: true, handler: handler as Handler };
}

async function invokeModule(path: string, event: { invocationId: string }, options: InvokeOptions, deps: Pick<TransformDeps, 'clock'>): Promise<Invoked> {
  const loaded = await loadHandler(path);
  if (!loaded.ok) return loaded;
  const deadline = deps.clock.monotonicMs() + options.timeoutMs;
  const context = {
    awsRequestId: event.invocationId,
    invokedFunctionArn: options.functionArn,
    functionName: options.functionArn.split(':')[6] ?? options.functionArn,
    getRemainingTimeInMillis: () => Math.max(0, deadline - deps.clock.monotonicMs()),
  };
  try {
    // The handler cannot be cancelled: on timeout its result is ignored.
    const r = await withTimeout(async () => loaded.handler(event, context), options.timeoutMs, deps.clock);
    if (r.timedOut) return fail(LAMBDA_ERROR_CODES.functionError, `Task timed out after ${options.timeoutMs} ms`);
    return { ok: true, body: r.value };
  } catch (err) {
    return fail(LAMBDA_ERROR_CODES.functionError, `The function threw ${errorText(err)}`);
  }
}

function httpStatusFailure(status: number, text: string): InvokeFailure {
  const detail = `The function endpoint answered HTTP ${status}: ${text.slice(0, 512)}`;
  if (status === 403 || status === 401) return { errorCode: LAMBDA_ERROR_CODES.invokeAccessDenied, errorMessage: detail };
  if (status === 404) return { errorCode: LAMBDA_ERROR_CODES.resourceNotFound, errorMessage: detail };
  if (status === 429) return { errorCode: LAMBDA_ERROR_CODES.invokeLimitExceeded, errorMessage: detail };
  return { errorCode: LAMBDA_ERROR_CODES.functionError, errorMessage: detail };
}

async function invokeHttp(url: string, event: unknown, options: InvokeOptions, deps: Pick<TransformDeps, 'clock'>): Promise<Invoked> {
  const body = JSON.stringify(event);
  try {
    const r = await withTimeout(
      async (signal) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
        return { status: res.status, text: await res.text() };
      },
      options.timeoutMs,
      deps.clock,
    );
    if (r.timedOut) return fail(LAMBDA_ERROR_CODES.functionError, `Task timed out after ${options.timeoutMs} ms`);
    const { status, text } = r.value;
    if (status < 200 || status > 299) return { ok: false, failure: httpStatusFailure(status, text) };
    try {
      return { ok: true, body: JSON.parse(text) as unknown };
    } catch (err) {
      return fail(LAMBDA_ERROR_CODES.jsonProcessing, `The function response is not JSON: ${errorText(err)}`);
    }
  } catch (err) {
    const cause = err instanceof Error && err.cause ? ` (${errorText(err.cause)})` : '';
    return fail(LAMBDA_ERROR_CODES.functionError, `The function endpoint could not be reached: ${errorText(err)}${cause}`);
  }
}

/** Java's basic Base64 decoder, which Firehose uses: standard alphabet, padding optional, no whitespace. */
function decodeBase64(s: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const padded = s.endsWith('=');
  if ((padded && s.length % 4 !== 0) || s.length % 4 === 1) return null;
  return Buffer.from(s, 'base64');
}

function recordOutcome(recordId: string, r: Record<string, unknown>): TransformOutcome {
  const rejected = (why: string): TransformOutcome => ({
    recordId,
    result: 'ProcessingFailed',
    errorCode: LAMBDA_ERROR_CODES.jsonProcessing,
    errorMessage: `Returned record ${recordId} does not follow the status model: ${why}`,
  });
  switch (r['result']) {
    case 'Dropped':
      return { recordId, result: 'Dropped' };
    case 'ProcessingFailed':
      return { recordId, result: 'ProcessingFailed', errorCode: LAMBDA_ERROR_CODES.processingFailedStatus, errorMessage: 'ProcessingFailed status set for record' };
    case 'Ok': {
      if (typeof r['data'] !== 'string') return rejected('an Ok record needs base64 data');
      const data = decodeBase64(r['data']);
      if (!data) return rejected('data is not valid base64');
      const meta = r['metadata'];
      const partitionKeys: Record<string, string> = {};
      if (meta !== undefined && meta !== null) {
        if (typeof meta !== 'object' || Array.isArray(meta)) return rejected('metadata must be an object');
        const pk = (meta as Record<string, unknown>)['partitionKeys'];
        if (pk !== undefined && pk !== null) {
          if (typeof pk !== 'object' || Array.isArray(pk)) return rejected('metadata.partitionKeys must be an object');
          for (const [k, v] of Object.entries(pk)) {
            if (typeof v !== 'string') return rejected(`partition key ${k} must be a string`);
            partitionKeys[k] = v;
          }
        }
      }
      return { recordId, result: 'Ok', data, partitionKeys };
    }
    default:
      return rejected(`result must be Ok, Dropped or ProcessingFailed, not ${JSON.stringify(r['result'])}`);
  }
}

/** Checks the response against the invocation's records; id problems fail the whole invocation, as in AWS. */
function validateResponse(body: unknown, records: TransformInputRecord[]): Validated {
  const list = body !== null && typeof body === 'object' ? (body as { records?: unknown }).records : undefined;
  if (!Array.isArray(list)) return fail(LAMBDA_ERROR_CODES.jsonProcessing, 'The function response must be an object with a records array');
  const byId = new Map<string, Record<string, unknown>>();
  for (const item of list) {
    if (item === null || typeof item !== 'object' || typeof (item as { recordId?: unknown }).recordId !== 'string') {
      return fail(LAMBDA_ERROR_CODES.jsonProcessing, 'Every returned record must be an object with a string recordId');
    }
    const rec = item as Record<string, unknown>;
    const id = rec['recordId'] as string;
    if (byId.has(id)) return fail(LAMBDA_ERROR_CODES.duplicatedRecordId, `Multiple records were returned with the record ID ${id}`);
    byId.set(id, rec);
  }
  const missing = records.filter((r) => !byId.has(r.recordId));
  if (missing.length > 0) {
    return fail(LAMBDA_ERROR_CODES.missingRecordId, `${missing.length} record ID(s) were not returned, e.g. ${missing[0]?.recordId}`);
  }
  if (byId.size !== records.length) {
    const known = new Set(records.map((r) => r.recordId));
    const extra = [...byId.keys()].find((id) => !known.has(id));
    return fail(LAMBDA_ERROR_CODES.jsonProcessing, `The record ID ${extra} was not part of the invocation`);
  }
  return { ok: true, outcomes: records.map((r) => recordOutcome(r.recordId, byId.get(r.recordId) ?? {})) };
}

function regionOf(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return arn.startsWith('arn:') && region ? region : undefined;
}

/**
 * Invokes the function on one batch, retrying the whole invocation (exponential backoff with jitter) up to
 * numberOfRetries times after an invocation failure; then every record comes back ProcessingFailed with the
 * last failure's code. Outcomes are in input order. Never throws for function failures.
 */
export async function transformBatch(records: TransformInputRecord[], options: TransformOptions, deps: TransformDeps): Promise<{ outcomes: TransformOutcome[]; attempts: number }> {
  if (records.length === 0) return { outcomes: [], attempts: 0 };
  const invocationId = deps.newId();
  const region = regionOf(options.deliveryStreamArn);
  const event = {
    invocationId,
    deliveryStreamArn: options.deliveryStreamArn,
    ...(region ? { region } : {}),
    records: records.map((r) => ({ recordId: r.recordId, approximateArrivalTimestamp: r.approximateArrivalTimestamp, data: r.data.toString('base64') })),
  };
  const maxAttempts = 1 + Math.max(0, Math.floor(options.numberOfRetries));
  let last: InvokeFailure = { errorCode: LAMBDA_ERROR_CODES.functionError, errorMessage: 'not invoked' };
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) {
      const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 2));
      await deps.sleep(Math.round(ceiling / 2 + (deps.random?.() ?? 0.5) * (ceiling / 2)));
    }
    const invoked = await invokeFunction(options.target, event, options, deps);
    const validated = invoked.ok ? validateResponse(invoked.body, records) : invoked;
    if (validated.ok) return { outcomes: validated.outcomes, attempts: attempt };
    last = validated.failure;
  }
  return {
    outcomes: records.map((r) => ({ recordId: r.recordId, result: 'ProcessingFailed', errorCode: last.errorCode, errorMessage: last.errorMessage })),
    attempts: maxAttempts,
  };
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})(?::(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

function httpUrl(raw: string, what: string): FunctionTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `${what} is not a valid URL: ${raw}` }, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `${what} must be an http or https URL: ${raw}` });
  }
  return { kind: 'http', url: url.href };
}

/**
 * Resolves a processor's LambdaArn parameter: an http(s) URL is used as-is; a Lambda function ARN is looked
 * up by `<name>:<qualifier>`, then by `<name>`, in the server's configured functions; anything else is
 * FIREHOSE_INVALID_ARGUMENT.
 */
export function resolveFunction(lambdaArn: string, functions: Record<string, { module?: string; url?: string }>): FunctionTarget {
  if (/^https?:\/\//i.test(lambdaArn)) return httpUrl(lambdaArn, 'LambdaArn');
  const m = LAMBDA_ARN.exec(lambdaArn);
  if (!m) {
    throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', {
      message: `LambdaArn must be an http(s) URL or arn:aws:lambda:<region>:<account>:function:<name>[:<alias>], not ${lambdaArn}`,
    });
  }
  const name = m[1] ?? '';
  const qualified = m[2] ? `${name}:${m[2]}` : name;
  const entry = Object.hasOwn(functions, qualified) ? functions[qualified] : Object.hasOwn(functions, name) ? functions[name] : undefined;
  if (!entry) throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Lambda function ${qualified} is not configured on this server` });
  if (entry.module !== undefined && entry.url !== undefined) {
    throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Lambda function ${qualified} is configured with both a module and a url` });
  }
  if (entry.module) return { kind: 'module', path: entry.module };
  if (entry.url) return httpUrl(entry.url, `The url of Lambda function ${qualified}`);
  throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message: `Lambda function ${qualified} is configured with neither a module nor a url` });
}
