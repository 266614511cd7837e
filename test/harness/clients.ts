/** Real AWS SDK v3 clients pointed at a test server. */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisAnalyticsClient } from '@aws-sdk/client-kinesis-analytics';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HEADERS } from '@rivulet/shared';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** The stock client: only endpoint, region and credentials (its default handler is HTTP/2). */
export function stockKinesis(endpoint: string, credentials = TEST_CREDENTIALS): KinesisClient {
  return new KinesisClient({ endpoint, region: 'us-east-1', credentials });
}

/** The same client over HTTP/1.1 keep-alive, as most load tools and older SDKs connect. */
export function http1Kinesis(endpoint: string, credentials = TEST_CREDENTIALS): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
  });
}

/** Adds Rivulet's idempotent-producer headers to every request of `client`; `seq()` gives each batch's sequence. */
export function withProducerHeaders(client: KinesisClient, producerId: string, seq: () => number): KinesisClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string> };
      request.headers[HEADERS.producerId] = producerId;
      request.headers[HEADERS.producerSequence] = String(seq());
      return next(args);
    },
    { step: 'build', name: 'rivulet-producer-headers' },
  );
  return client;
}

/** The stock Firehose client: only endpoint, region and credentials. */
export function stockFirehose(endpoint: string, credentials = TEST_CREDENTIALS): FirehoseClient {
  return new FirehoseClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}

/** The stock Kinesis Data Analytics (SQL, v1) client: only endpoint, region and credentials. */
export function stockAnalytics(endpoint: string, credentials = TEST_CREDENTIALS): KinesisAnalyticsClient {
  return new KinesisAnalyticsClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}
