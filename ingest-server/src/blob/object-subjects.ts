/**
 * The JetStream object store's layout, as @nats-io/obj and every other NATS client write it, so
 * a blob can be read without that client's consumer-based get: the bucket `<b>` is the stream
 * `OBJ_<b>`; an object's metadata is the last message on `$O.<b>.M.<base64url(name), padded>`
 * (JSON: nuid, size, chunks, digest "SHA-256=<base64url>", deleted); its bytes are the messages
 * on `$O.<b>.C.<nuid>`, in order. Owns the names and the metadata schema; no I/O.
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { RivuletError } from '@rivulet/shared';

const ObjectMetaSchema = Type.Object({
  name: Type.String(),
  nuid: Type.String({ pattern: '^[A-Za-z0-9]+$' }),
  size: Type.Integer({ minimum: 0 }),
  chunks: Type.Integer({ minimum: 0 }),
  digest: Type.Optional(Type.String()),
  deleted: Type.Optional(Type.Boolean()),
});
export type ObjectMeta = Static<typeof ObjectMetaSchema>;
const checkMeta = TypeCompiler.Compile(ObjectMetaSchema);

const DIGEST_PREFIX = 'SHA-256=';

export class ObjectSubjects {
  readonly stream: string;
  private readonly metaHead: string;

  constructor(readonly bucket: string) {
    if (!/^[-\w]+$/.test(bucket)) throw new RivuletError('BLOB_STORAGE', { message: `invalid object store bucket name ${bucket}` });
    this.stream = `OBJ_${bucket}`;
    this.metaHead = `$O.${bucket}.M.`;
  }

  metaSubject(name: string): string {
    const unpadded = Buffer.from(name, 'utf8').toString('base64url');
    return this.metaHead + unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4);
  }

  /** Every meta subject, for a subjects-filtered stream info. */
  get allMeta(): string {
    return `${this.metaHead}>`;
  }

  /** The object name a meta subject stands for, or null for a subject that is not one. */
  nameOf(metaSubject: string): string | null {
    if (!metaSubject.startsWith(this.metaHead)) return null;
    return Buffer.from(metaSubject.slice(this.metaHead.length), 'base64url').toString('utf8');
  }

  chunkSubject(nuid: string): string {
    return `$O.${this.bucket}.C.${nuid}`;
  }
}

/** Parses a meta message body; a body that is not object metadata is a storage failure. */
export function parseObjectMeta(data: Uint8Array, where: string): ObjectMeta {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (cause) {
    throw new RivuletError('BLOB_STORAGE', { message: `${where} holds no JSON object metadata` }, { cause });
  }
  if (!checkMeta.Check(value)) throw new RivuletError('BLOB_STORAGE', { message: `${where} is not object metadata` });
  return value;
}

/** True when `bytes` hash to the meta's digest (an object with no digest is not checked). */
export function digestMatches(meta: ObjectMeta, bytes: Uint8Array): boolean {
  if (meta.digest === undefined || meta.digest === '') return true;
  if (!meta.digest.startsWith(DIGEST_PREFIX)) return false;
  const expected = Buffer.from(meta.digest.slice(DIGEST_PREFIX.length), 'base64url');
  return expected.equals(createHash('sha256').update(bytes).digest());
}
