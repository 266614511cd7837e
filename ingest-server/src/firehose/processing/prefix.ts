/**
 * S3 custom prefixes and object names for Firehose S3 delivery. Owns parsing `!{namespace:value}`
 * templates, their create-time validation, rendering them for a batch or a partition, and the
 * object-name suffix. It does not own where objects are written (destinations) nor which records fail.
 *
 * AWS rules followed (Firehose developer guide, "Custom Prefixes for Amazon S3 Objects", semantic rules):
 * - namespaces: timestamp, firehose (error-output-type | random-string), partitionKeyFromQuery, partitionKeyFromLambda;
 * - `!{` may only start an expression; every timestamp instance in one prefix evaluates to the same instant (the
 *   batch's arrival time, UTC); random-string is 11 characters and new for each instance;
 * - a Prefix without a timestamp expression gets `!{timestamp:yyyy/MM/dd/HH/}` appended (a missing Prefix renders
 *   as just that); a dynamic-partitioning Prefix (one using partition keys) is used as written, as in the AWS
 *   dynamic-partitioning example;
 * - ErrorOutputPrefix may be omitted only when Prefix has no expressions; it then renders as
 *   `<Prefix><error-output-type>/yyyy/MM/dd/HH/` (see errorPrefixTemplate);
 * - an ErrorOutputPrefix with expressions must contain `!{firehose:error-output-type}`; Prefix must not;
 * - neither may exceed 512 characters once evaluated.
 * Rivulet additions (prefixes become local file paths): no NUL, no leading '/', no '..' path segment — in the
 * template at create time, and in every rendered partition value and whole prefix at delivery time. Partition
 * keys are not allowed in ErrorOutputPrefix, since a record that failed extraction has none.
 */
import { createHash } from 'node:crypto';
import { RivuletError } from '@rivulet/shared';

export interface PrefixContext {
  /** Arrival time of the batch (its oldest record), used for every !{timestamp:..} (UTC). */
  arrivalMs: number;
  queryKeys: Record<string, string>;
  lambdaKeys: Record<string, string>;
  /** 11 characters, like AWS's random-string. */
  randomString(): string;
  /** The `!{firehose:error-output-type}` value; needed only when rendering an error prefix. */
  errorOutputType?: string;
}

export type RenderResult = { ok: true; prefix: string } | { ok: false; errorCode: string; errorMessage: string };

/** Error codes of a failed rendering. AWS documents no names for these; they follow its `Area.Reason` style. */
export const PREFIX_ERRORS = {
  keyMissing: 'DynamicPartitioning.PartitionKeyMissing',
  unsafeValue: 'DynamicPartitioning.InvalidPartitionKeyValue',
  tooLong: 'S3.PrefixTooLong',
  invalidTemplate: 'S3.InvalidPrefix',
} as const;

/** Values AWS documents for !{firehose:error-output-type}. */
export const ERROR_OUTPUT_TYPES = [
  'processing-failed',
  'format-conversion-failed',
  'http-endpoint-failed',
  'splunk-failed',
  'elasticsearch-failed',
  'AmazonOpenSearchService-failed',
] as const;

/** The API's length limit for Prefix and ErrorOutputPrefix, and AWS's limit after evaluation. */
export const MAX_TEMPLATE_CHARS = 1024;
export const MAX_RENDERED_CHARS = 512;

const DEFAULT_TIME = '!{timestamp:yyyy/MM/dd/HH/}';
const NAMESPACES = new Set(['timestamp', 'firehose', 'partitionKeyFromQuery', 'partitionKeyFromLambda']);

type Segment = { kind: 'text'; text: string } | { kind: 'expr'; ns: string; value: string; at: number };

type TimeToken = { kind: 'lit'; text: string } | { kind: 'field'; letter: string; width: number };

/** Parses a template into literal text and expressions; syntax problems come back as a message. */
function parseTemplate(t: string): Segment[] | string {
  const out: Segment[] = [];
  let pos = 0;
  while (pos < t.length) {
    const open = t.indexOf('!{', pos);
    if (open < 0) {
      out.push({ kind: 'text', text: t.slice(pos) });
      break;
    }
    if (open > pos) out.push({ kind: 'text', text: t.slice(pos, open) });
    const close = t.indexOf('}', open + 2);
    if (close < 0) return `the expression at position ${open} is not closed with '}'`;
    const body = t.slice(open + 2, close);
    if (body.includes('!{')) return `expressions cannot be nested (position ${open})`;
    const colon = body.indexOf(':');
    if (colon < 0) return `the expression at position ${open} must have the form !{namespace:value}`;
    const ns = body.slice(0, colon);
    const value = body.slice(colon + 1);
    if (!NAMESPACES.has(ns)) return `unknown namespace '${ns}' at position ${open}; use firehose, timestamp, partitionKeyFromQuery or partitionKeyFromLambda`;
    if (value === '') return `the expression at position ${open} has an empty value`;
    out.push({ kind: 'expr', ns, value, at: open });
    pos = close + 1;
  }
  return out;
}

const TIME_WIDTHS: Record<string, number[]> = { y: [2, 4], M: [1, 2], d: [1, 2], H: [1, 2], m: [1, 2], s: [1, 2] };

/** Compiles the supported subset of a Java DateTimeFormatter pattern; problems come back as a message. */
function compileTimePattern(p: string): TimeToken[] | string {
  const out: TimeToken[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i] ?? '';
    if (c === "'") {
      if (p[i + 1] === "'") {
        out.push({ kind: 'lit', text: "'" });
        i += 2;
        continue;
      }
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= p.length) return `the pattern '${p}' ends inside a quoted literal`;
        if (p[j] === "'") {
          if (p[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += p[j];
        j++;
      }
      out.push({ kind: 'lit', text });
      i = j + 1;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (p[j] === c) j++;
      const width = j - i;
      if (!TIME_WIDTHS[c]?.includes(width)) {
        return `'${c.repeat(width)}' in the timestamp pattern '${p}' is not supported (use yyyy, yy, MM, M, dd, d, HH, H, mm, m, ss, s and 'quoted' text)`;
      }
      out.push({ kind: 'field', letter: c, width });
      i = j;
    } else if ('[]{}#'.includes(c)) {
      return `'${c}' in the timestamp pattern '${p}' is reserved`;
    } else {
      out.push({ kind: 'lit', text: c });
      i++;
    }
  }
  return out;
}

function formatTime(tokens: TimeToken[], ms: number): string {
  const d = new Date(ms);
  const field = (letter: string): number => {
    switch (letter) {
      case 'y': return d.getUTCFullYear();
      case 'M': return d.getUTCMonth() + 1;
      case 'd': return d.getUTCDate();
      case 'H': return d.getUTCHours();
      case 'm': return d.getUTCMinutes();
      default: return d.getUTCSeconds();
    }
  };
  return tokens
    .map((t) => {
      if (t.kind === 'lit') return t.text;
      const v = field(t.letter);
      if (t.letter === 'y' && t.width === 2) return String(v % 100).padStart(2, '0');
      return String(v).padStart(t.width, '0');
    })
    .join('');
}

/** Why a path-like string is unsafe as an object key / local file path, or null when it is fine. */
function unsafeReason(s: string): string | null {
  if (s.includes('\0')) return 'contains a NUL character';
  if (s.startsWith('/')) return "starts with '/'";
  if (s.split('/').includes('..')) return "contains a '..' path segment";
  return null;
}

function invalid(message: string): never {
  throw new RivuletError('FIREHOSE_INVALID_ARGUMENT', { message });
}

function checkTemplate(field: 'Prefix' | 'ErrorOutputPrefix', t: string, dynamicPartitioning: boolean): Segment[] {
  if (t.length > MAX_TEMPLATE_CHARS) invalid(`${field} is longer than ${MAX_TEMPLATE_CHARS} characters.`);
  const segs = parseTemplate(t);
  if (typeof segs === 'string') invalid(`Invalid ${field}: ${segs}.`);
  for (const s of segs) {
    if (s.kind === 'text') continue;
    if (s.ns === 'timestamp') {
      const tokens = compileTimePattern(s.value);
      if (typeof tokens === 'string') invalid(`Invalid ${field}: ${tokens}.`);
    } else if (s.ns === 'firehose') {
      if (s.value !== 'random-string' && s.value !== 'error-output-type') {
        invalid(`Invalid ${field}: unknown firehose namespace value '${s.value}' at position ${s.at}; use error-output-type or random-string.`);
      }
      if (s.value === 'error-output-type' && field === 'Prefix') invalid('Prefix cannot contain !{firehose:error-output-type}; it can only be used in ErrorOutputPrefix.');
    } else {
      if (!dynamicPartitioning) invalid(`Invalid ${field}: the ${s.ns} namespace can only be used when dynamic partitioning is enabled.`);
      if (field === 'ErrorOutputPrefix') invalid(`Invalid ErrorOutputPrefix: the ${s.ns} namespace cannot be used in ErrorOutputPrefix.`);
    }
  }
  const skeleton = segs.map((s) => (s.kind === 'text' ? s.text : 'x')).join('');
  const unsafe = unsafeReason(skeleton);
  if (unsafe) invalid(`Invalid ${field}: it ${unsafe}.`);
  return segs;
}

const hasExpr = (segs: Segment[]): boolean => segs.some((s) => s.kind === 'expr');
const hasNs = (segs: Segment[], pred: (s: { ns: string; value: string }) => boolean): boolean =>
  segs.some((s) => s.kind === 'expr' && pred(s));

/** Validates Prefix and ErrorOutputPrefix at create/update time; violations → FIREHOSE_INVALID_ARGUMENT. */
export function validatePrefixes(prefix: string | undefined, errorPrefix: string | undefined, opts: { dynamicPartitioning: boolean }): void {
  const p = prefix ? checkTemplate('Prefix', prefix, opts.dynamicPartitioning) : [];
  const e = errorPrefix ? checkTemplate('ErrorOutputPrefix', errorPrefix, opts.dynamicPartitioning) : null;
  if (!e && hasExpr(p)) invalid("ErrorOutputPrefix can't be null when Prefix contains expressions.");
  if (e && hasExpr(e) && !hasNs(e, (s) => s.ns === 'firehose' && s.value === 'error-output-type')) {
    invalid('ErrorOutputPrefix must contain at least one instance of !{firehose:error-output-type} when it contains expressions.');
  }
  if (opts.dynamicPartitioning) {
    if (!e) invalid('ErrorOutputPrefix must be specified when dynamic partitioning is enabled.');
    if (!hasNs(p, (s) => s.ns.startsWith('partitionKeyFrom'))) {
      invalid('When dynamic partitioning is enabled, Prefix must contain at least one partitionKeyFromQuery or partitionKeyFromLambda expression.');
    }
  }
}

/** The error-prefix template in force: ErrorOutputPrefix, or AWS's default built from a literal Prefix. */
export function errorPrefixTemplate(prefix: string | undefined, errorPrefix: string | undefined): string {
  if (errorPrefix) return errorPrefix;
  return `${prefix ?? ''}!{firehose:error-output-type}/${DEFAULT_TIME}`;
}

function failure(errorCode: string, errorMessage: string): RenderResult {
  return { ok: false, errorCode, errorMessage };
}

/** Renders a prefix for one batch or partition. Never throws: problems come back as an error result. */
export function renderPrefix(template: string | undefined, ctx: PrefixContext, kind: 'data' | 'error'): RenderResult {
  let t = template ?? '';
  if (kind === 'error' && !t) t = errorPrefixTemplate(undefined, undefined);
  const segs = parseTemplate(t);
  if (typeof segs === 'string') return failure(PREFIX_ERRORS.invalidTemplate, segs);
  if (kind === 'data' && !hasNs(segs, (s) => s.ns === 'timestamp' || s.ns.startsWith('partitionKeyFrom'))) {
    segs.push({ kind: 'expr', ns: 'timestamp', value: 'yyyy/MM/dd/HH/', at: t.length });
  }
  let out = '';
  for (const s of segs) {
    if (s.kind === 'text') {
      out += s.text;
      continue;
    }
    if (s.ns === 'timestamp') {
      const tokens = compileTimePattern(s.value);
      if (typeof tokens === 'string') return failure(PREFIX_ERRORS.invalidTemplate, tokens);
      out += formatTime(tokens, ctx.arrivalMs);
    } else if (s.ns === 'firehose') {
      if (s.value === 'random-string') out += ctx.randomString();
      else if (s.value === 'error-output-type' && kind === 'error' && ctx.errorOutputType) out += ctx.errorOutputType;
      else return failure(PREFIX_ERRORS.invalidTemplate, `!{firehose:${s.value}} cannot be evaluated in a ${kind} prefix`);
    } else {
      const keys = s.ns === 'partitionKeyFromQuery' ? ctx.queryKeys : ctx.lambdaKeys;
      const v = Object.hasOwn(keys, s.value) ? keys[s.value] : undefined;
      if (v === undefined) return failure(PREFIX_ERRORS.keyMissing, `Partition key '${s.value}' referenced by !{${s.ns}:${s.value}} was not found for the record`);
      const unsafe = unsafeReason(v);
      if (unsafe) return failure(PREFIX_ERRORS.unsafeValue, `Partition key '${s.value}' value ${unsafe}`);
      out += v;
    }
  }
  if (out.length > MAX_RENDERED_CHARS) return failure(PREFIX_ERRORS.tooLong, `The evaluated ${kind} prefix is ${out.length} characters; the limit is ${MAX_RENDERED_CHARS}`);
  const unsafe = unsafeReason(out);
  if (unsafe) return failure(PREFIX_ERRORS.unsafeValue, `The evaluated ${kind} prefix ${unsafe}`);
  return { ok: true, prefix: out };
}

/** A fixed namespace for Rivulet's name-based object ids (RFC 4122 version 5). */
const OBJECT_ID_NAMESPACE = Buffer.from('6f1d1f5e8a4b4c3e9d2a5b7c0e4f1a2b', 'hex');

/** RFC 4122 version-5 UUID of batchId: the same batch always gets the same object name. */
function nameBasedUuid(name: string): string {
  const h = createHash('sha1').update(OBJECT_ID_NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `<prefix><DeliveryStreamName>-<DeliveryStreamVersion>-yyyy-MM-dd-HH-mm-ss-<uuid>` (UTC, batch time); no extension. */
export function objectName(prefix: string, streamName: string, version: number, batchMs: number, batchId: string): string {
  const d = new Date(batchMs);
  const time = [d.getUTCFullYear(), pad2(d.getUTCMonth() + 1), pad2(d.getUTCDate()), pad2(d.getUTCHours()), pad2(d.getUTCMinutes()), pad2(d.getUTCSeconds())].join('-');
  return `${prefix}${streamName}-${version}-${time}-${nameBasedUuid(batchId)}`;
}
