/**
 * NextToken for the video listings: base64url of a small JSON document saying where the next
 * page starts. Tokens are opaque to clients; a malformed one is InvalidArgumentException.
 */
import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { RivuletError } from '@rivulet/shared';

export function encodePageToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Returns a decoder that checks the token's document against `schema`. */
export function pageTokenDecoder<S extends TSchema>(schema: S): (token: string) => Static<S> {
  const check = TypeCompiler.Compile(schema);
  return (token) => {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch (cause) {
      throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'NextToken is not valid' }, { cause });
    }
    if (!check.Check(value)) throw new RivuletError('VIDEO_INVALID_ARGUMENT', { message: 'NextToken is not valid' });
    return value;
  };
}
