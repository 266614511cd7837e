import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { compileValidator } from './aws-validation.js';

const schema = Type.Object({
  StreamName: Type.String({ minLength: 1, maxLength: 8, pattern: '^[a-z]+$' }),
  Limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  Mode: Type.Optional(Type.Union([Type.Literal('A'), Type.Literal('B')])),
  Items: Type.Optional(Type.Array(Type.Object({ Key: Type.String({ maxLength: 2 }) }), { maxItems: 2 })),
});
const validator = compileValidator(schema);

function error(input: unknown): { awsType: string; message: string } {
  try {
    validator.validate(input);
  } catch (e) {
    return e as { awsType: string; message: string };
  }
  throw new Error('expected a validation error');
}

describe('AWS-style validation', () => {
  it('passes valid input through untouched', () => {
    const input = { StreamName: 'abc', Limit: 3 };
    expect(validator.validate(input)).toBe(input);
  });

  it('words a missing member as AWS does', () => {
    expect(error({})).toEqual(expect.objectContaining({ awsType: 'ValidationException', message: "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null" }));
  });

  it('reports length, pattern, range and enum constraints, counting them', () => {
    const e = error({ StreamName: 'ABCDEFGHIJ', Limit: 11, Mode: 'C' });
    expect(e.awsType).toBe('ValidationException');
    expect(e.message).toMatch(/^3 validation errors detected: /);
    expect(e.message).toContain("at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 8");
    expect(e.message).toContain("Value '11' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10");
    expect(e.message).toContain('Member must satisfy enum value set: [A, B]');
  });

  it('names list members the AWS way (1-based .member)', () => {
    expect(error({ StreamName: 'a', Items: [{ Key: 'ok' }, { Key: 'toolong' }] }).message).toContain("at 'items.2.member.key'");
  });

  it('answers wrong JSON types with SerializationException', () => {
    expect(error({ StreamName: 42 }).awsType).toBe('SerializationException');
    expect(error({ StreamName: 'a', Items: 'x' }).awsType).toBe('SerializationException');
  });

  it('survives hostile nesting and keeps messages short', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const e = error({ StreamName: 'a', Items: [{ Key: 'a' }, { Key: 'b' }, deep] });
    expect(['ValidationException', 'SerializationException']).toContain(e.awsType);
    expect(e.message.length).toBeLessThan(400);
  });
});
