/**
 * Subscription patterns with named wildcards: `sensors/+device/+kind` subscribes to the MQTT
 * filter `sensors/+/+` and names the levels it captures, so a partition key can come from a
 * topic segment. Also maps a message to its stream, partition key and payload.
 */
import type { Static } from '@sinclair/typebox';
import type { PartitionKeySchema } from '../../config/schema.js';

export interface CompiledSubscription {
  /** The MQTT filter actually subscribed to. */
  filter: string;
  stream: string;
  qos: 0 | 1 | 2;
  payload: 'json' | 'raw';
  partitionKey: Static<typeof PartitionKeySchema>;
  levels: string[];
  names: Map<string, number>;
}

export function compileSubscription(sub: { topic: string; stream: string; qos: 0 | 1 | 2; payload: 'json' | 'raw'; partitionKey: Static<typeof PartitionKeySchema> }): CompiledSubscription {
  const levels = sub.topic.split('/');
  const names = new Map<string, number>();
  const filterLevels = levels.map((level, i) => {
    if (level.startsWith('+') && level.length > 1) {
      names.set(level.slice(1), i);
      return '+';
    }
    return level;
  });
  return { filter: filterLevels.join('/'), stream: sub.stream, qos: sub.qos, payload: sub.payload, partitionKey: sub.partitionKey, levels: filterLevels, names };
}

/** MQTT filter matching (`+` one level, `#` the rest); returns the topic's levels on a match. */
export function matchTopic(sub: CompiledSubscription, topic: string): string[] | null {
  const parts = topic.split('/');
  for (let i = 0; i < sub.levels.length; i++) {
    const level = sub.levels[i]!;
    if (level === '#') return parts;
    if (i >= parts.length) return null;
    if (level !== '+' && level !== parts[i]) return null;
  }
  return parts.length === sub.levels.length ? parts : null;
}

function field(value: unknown, path: string): unknown {
  let node = value;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export type Mapped = { ok: true; stream: string; partitionKey: string; data: Buffer } | { ok: false; reason: string };

export function mapMessage(sub: CompiledSubscription, parts: string[], payload: Buffer): Mapped {
  let parsed: unknown;
  if (sub.payload === 'json') {
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      return { ok: false, reason: 'payload is not valid JSON' };
    }
  }
  const pk = sub.partitionKey;
  let key: unknown;
  if ('fixed' in pk) key = pk.fixed;
  else if ('topicSegment' in pk) {
    const index = sub.names.get(pk.topicSegment);
    key = index === undefined ? undefined : parts[index];
  } else {
    key = sub.payload === 'json' ? field(parsed, pk.jsonField) : undefined;
  }
  if ((typeof key !== 'string' && typeof key !== 'number') || String(key).length === 0) {
    return { ok: false, reason: 'partition key is missing' };
  }
  // Kinesis: a partition key is 1 to 256 characters.
  return { ok: true, stream: sub.stream, partitionKey: String(key).slice(0, 256), data: payload };
}
