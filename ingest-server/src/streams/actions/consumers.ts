import { RivuletError } from '@rivulet/shared';
import { decodePageToken, describeConsumer, encodePageToken } from '../describe.js';
import type { ConsumerDoc, StreamRuntime } from '../model.js';
import { Schemas } from '../schemas.js';
import type { StreamsService } from '../service.js';
import { streamsAction } from './define.js';

/** Kinesis: at most 20 registered consumers per stream. */
const MAX_CONSUMERS = 20;

interface ConsumerRef {
  StreamARN?: string | undefined;
  ConsumerName?: string | undefined;
  ConsumerARN?: string | undefined;
}

/** Finds a consumer by ConsumerARN, or by StreamARN plus ConsumerName. */
function findConsumer(svc: StreamsService, ref: ConsumerRef): { stream: StreamRuntime; consumer: ConsumerDoc } {
  if (ref.ConsumerARN !== undefined) {
    const streamArn = ref.ConsumerARN.slice(0, ref.ConsumerARN.indexOf('/consumer/'));
    const stream = svc.registry.require({ StreamARN: streamArn });
    const consumer = stream.doc.consumers.find((c) => c.arn === ref.ConsumerARN);
    if (!consumer) throw new RivuletError('STREAMS_CONSUMER_NOT_FOUND', { consumer: ref.ConsumerARN });
    return { stream, consumer };
  }
  if (ref.StreamARN === undefined || ref.ConsumerName === undefined) {
    throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'Give either ConsumerARN, or StreamARN and ConsumerName' });
  }
  const stream = svc.registry.require({ StreamARN: ref.StreamARN });
  const consumer = stream.doc.consumers.find((c) => c.name === ref.ConsumerName);
  if (!consumer) throw new RivuletError('STREAMS_CONSUMER_NOT_FOUND', { consumer: `${ref.ConsumerName} on ${ref.StreamARN}` });
  return { stream, consumer };
}

export const registerStreamConsumer = streamsAction('RegisterStreamConsumer', Schemas.RegisterStreamConsumer, async (svc, input) => {
  const stream = svc.registry.require({ StreamARN: input.StreamARN });
  if (stream.doc.consumers.some((c) => c.name === input.ConsumerName)) {
    throw new RivuletError('STREAMS_IN_USE', { message: `Consumer ${input.ConsumerName} under stream ${stream.doc.name} already exists for account ${svc.deps.accountId}.` });
  }
  if (stream.doc.consumers.length >= MAX_CONSUMERS) {
    throw new RivuletError('STREAMS_LIMIT', { message: `Stream ${stream.doc.name} already has ${MAX_CONSUMERS} registered consumers` });
  }
  const createdAtMs = svc.deps.clock.now();
  const consumer = { name: input.ConsumerName, arn: `${stream.arn}/consumer/${input.ConsumerName}:${Math.floor(createdAtMs / 1000)}`, createdAtMs };
  stream.doc.consumers = [...stream.doc.consumers, consumer];
  await svc.registry.save(stream);
  const { StreamARN: _, ...description } = describeConsumer(stream, consumer);
  return { Consumer: description };
});

export const deregisterStreamConsumer = streamsAction('DeregisterStreamConsumer', Schemas.DeregisterStreamConsumer, async (svc, input) => {
  const { stream, consumer } = findConsumer(svc, input);
  stream.doc.consumers = stream.doc.consumers.filter((c) => c !== consumer);
  await svc.registry.save(stream);
  return {};
});

export const describeStreamConsumer = streamsAction('DescribeStreamConsumer', Schemas.DescribeStreamConsumer, async (svc, input) => {
  const { stream, consumer } = findConsumer(svc, input);
  return { ConsumerDescription: describeConsumer(stream, consumer) };
});

export const listStreamConsumers = streamsAction('ListStreamConsumers', Schemas.ListStreamConsumers, async (svc, input) => {
  const stream = svc.registry.require({ StreamARN: input.StreamARN });
  let start = 0;
  if (input.NextToken !== undefined) {
    const token = decodePageToken(input.NextToken);
    if (!token || typeof token.start !== 'number') throw new RivuletError('STREAMS_INVALID_ARGUMENT', { message: 'Invalid NextToken.' });
    start = token.start;
  }
  const limit = input.MaxResults ?? 100;
  const page = stream.doc.consumers.slice(start, start + limit);
  return {
    Consumers: page.map((c) => {
      const { StreamARN: _, ...rest } = describeConsumer(stream, c);
      return rest;
    }),
    ...(start + limit < stream.doc.consumers.length ? { NextToken: encodePageToken({ start: start + limit }) } : {}),
  };
});
