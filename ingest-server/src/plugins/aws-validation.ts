/**
 * Turns TypeBox schema failures into the errors AWS JSON services return:
 * wrong JSON types -> SerializationException; broken constraints -> ValidationException worded
 * as AWS words it ("1 validation error detected: Value 'x' at 'streamName' failed to satisfy
 * constraint: Member must have length less than or equal to 128").
 */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { RivuletError } from '@rivulet/shared';

const TYPE_ERRORS = new Set<ValueErrorType>([
  ValueErrorType.String,
  ValueErrorType.Number,
  ValueErrorType.Integer,
  ValueErrorType.Boolean,
  ValueErrorType.Object,
  ValueErrorType.Array,
  ValueErrorType.Null,
]);

/** '/Records/0/PartitionKey' -> 'records.1.member.partitionKey' as AWS names members. */
function memberPath(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `${Number(part) + 1}.member` : part.charAt(0).toLowerCase() + part.slice(1)))
    .join('.');
}

/** A short preview of a value; bounded in depth and length, since bodies can be hostile. */
function preview(value: unknown, budget: { left: number }, depth: number): string {
  if (budget.left <= 0) return '';
  let text: string;
  if (value === null || typeof value !== 'object') text = JSON.stringify(value) ?? 'null';
  else if (depth >= 4) text = Array.isArray(value) ? '[...]' : '{...}';
  else if (Array.isArray(value)) {
    const parts: string[] = [];
    for (const item of value) {
      if (budget.left <= 0) break;
      parts.push(preview(item, budget, depth + 1));
    }
    text = `[${parts.join(',')}]`;
  } else {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (budget.left <= 0) break;
      parts.push(`${JSON.stringify(k)}:${preview(v, budget, depth + 1)}`);
    }
    text = `{${parts.join(',')}}`;
  }
  budget.left -= text.length;
  return text;
}

function shown(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  const text = typeof value === 'string' ? value : preview(value, { left: 120 }, 0);
  return `'${text.length > 100 ? `${text.slice(0, 100)}...` : text}'`;
}

function constraint(error: ValueError): string | null {
  const s = error.schema as Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'Member must not be null';
    case ValueErrorType.StringMaxLength:
      return `Member must have length less than or equal to ${String(s.maxLength)}`;
    case ValueErrorType.StringMinLength:
      return `Member must have length greater than or equal to ${String(s.minLength)}`;
    case ValueErrorType.StringPattern:
      return `Member must satisfy regular expression pattern: ${String(s.pattern).replace(/^\^|\$$/g, '')}`;
    case ValueErrorType.ArrayMaxItems:
      return `Member must have length less than or equal to ${String(s.maxItems)}`;
    case ValueErrorType.ArrayMinItems:
      return `Member must have length greater than or equal to ${String(s.minItems)}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `Member must have value less than or equal to ${String(s.maximum)}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `Member must have value greater than or equal to ${String(s.minimum)}`;
    case ValueErrorType.Union: {
      const values = ((s.anyOf as { const?: unknown }[] | undefined) ?? []).map((v) => v.const).filter((v) => v !== undefined);
      return typeof error.value === 'string' && values.length > 0 ? `Member must satisfy enum value set: [${values.join(', ')}]` : null;
    }
    default:
      return null;
  }
}

export interface InputValidator<T> {
  /** Returns the input typed, or throws the AWS-shaped error. */
  validate(input: unknown): T;
}

export function compileValidator<T>(schema: TSchema): InputValidator<T> {
  const check: TypeCheck<TSchema> = TypeCompiler.Compile(schema);
  return {
    validate(input: unknown): T {
      try {
        if (check.Check(input)) return input as T;
        explain(input);
      } catch (err) {
        if (err instanceof RivuletError) throw err;
        // A hostile shape (nesting deep enough to exhaust the stack) is a client error.
        throw new RivuletError('PROTOCOL_SERIALIZATION', { message: 'Request body is nested too deeply' }, { cause: err });
      }
      throw new RivuletError('PROTOCOL_SERIALIZATION', { message: 'Request body does not match the operation' });
    },
  };

  function explain(input: unknown): never {
    const messages: string[] = [];
    const seen = new Set<string>();
    for (const error of check.Errors(input)) {
      if (seen.has(error.path)) continue;
      seen.add(error.path);
      if (TYPE_ERRORS.has(error.type) && error.value !== undefined) {
        throw new RivuletError('PROTOCOL_SERIALIZATION', {
          message: `Unexpected value at '${memberPath(error.path) || 'request'}': ${error.message.toLowerCase()}`,
        });
      }
      const rule = constraint(error);
      if (rule === null) {
        throw new RivuletError('PROTOCOL_SERIALIZATION', { message: `Unexpected value at '${memberPath(error.path) || 'request'}'` });
      }
      messages.push(`Value ${error.type === ValueErrorType.ObjectRequiredProperty ? 'null' : shown(error.value)} at '${memberPath(error.path)}' failed to satisfy constraint: ${rule}`);
      if (messages.length >= 10) break;
    }
    const count = messages.length;
    throw new RivuletError('PROTOCOL_VALIDATION', {
      message: `${count} validation error${count === 1 ? '' : 's'} detected: ${messages.join('; ')}`,
    });
  }
}
