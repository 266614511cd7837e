/**
 * Creates what the demo needs through the stock AWS SDK v3 clients, idempotently: a rerun on the
 * same data directory finds everything in place (ResourceInUseException) and reuses it.
 * - data streams demo-sensors (2 shards), device-health (1), demo-averages (1);
 * - the Kinesis Video stream demo-camera;
 * - the Firehose delivery stream demo-delivery: demo-sensors -> bucket `delivery`, a file every
 *   10 s or 1 MiB, uncompressed, one record per line;
 * - the SQL application demo-averages (sql.ts), started from NOW unless it already runs.
 */
import { CreateDeliveryStreamCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, waitUntilStreamExists, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateApplicationCommand, DescribeApplicationCommand, StartApplicationCommand, type KinesisAnalyticsClient } from '@aws-sdk/client-kinesis-analytics';
import { CreateStreamCommand as CreateVideoStreamCommand, type KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { DEMO } from './options.js';
import { DEMO_OUTPUT_SQL_STREAM, DEMO_SQL, demoInputSchema } from './sql.js';

const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/rivulet-demo`;
export const streamArn = (name: string) => `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}`;

export interface DemoClients {
  kinesis: KinesisClient;
  video: KinesisVideoClient;
  firehose: FirehoseClient;
  analytics: KinesisAnalyticsClient;
}

/** What setup did, for the demo's first lines. */
export type SetupReport = { name: string; created: boolean }[];

/** Runs `create`; an "already exists" answer means a previous run made it. */
async function ensure(report: SetupReport, name: string, create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
    report.push({ name, created: true });
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
    report.push({ name, created: false });
  }
}

export async function setupDemo(c: DemoClients): Promise<SetupReport> {
  const report: SetupReport = [];
  for (const [name, shards] of [[DEMO.sensorStream, 2], [DEMO.healthStream, 1], [DEMO.averagesStream, 1]] as const) {
    await ensure(report, `data stream ${name}`, () => c.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards })));
    await waitUntilStreamExists({ client: c.kinesis, maxWaitTime: 30 }, { StreamName: name });
  }
  await ensure(report, `video stream ${DEMO.videoStream}`, () => c.video.send(new CreateVideoStreamCommand({ StreamName: DEMO.videoStream, DataRetentionInHours: 24, MediaType: 'video/h264' })));
  await ensure(report, `delivery stream ${DEMO.deliveryStream}`, () =>
    c.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: DEMO.deliveryStream,
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: streamArn(DEMO.sensorStream), RoleARN: ROLE },
        ExtendedS3DestinationConfiguration: {
          RoleARN: ROLE,
          BucketARN: `arn:aws:s3:::${DEMO.bucket}`,
          Prefix: `${DEMO.sensorStream}/`,
          ErrorOutputPrefix: 'errors/',
          BufferingHints: { IntervalInSeconds: DEMO.deliveryIntervalSeconds, SizeInMBs: DEMO.deliverySizeMiB },
          CompressionFormat: 'UNCOMPRESSED',
          // One reading per line: the sensors publish bare JSON objects.
          ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }] },
        },
      }),
    ),
  );
  await ensure(report, `SQL application ${DEMO.application}`, () =>
    c.analytics.send(
      new CreateApplicationCommand({
        ApplicationName: DEMO.application,
        ApplicationDescription: 'Per-sensor averages: each closed minute, and the last minute with every reading',
        ApplicationCode: DEMO_SQL,
        Inputs: [{ NamePrefix: 'SOURCE_SQL_STREAM', KinesisStreamsInput: { ResourceARN: streamArn(DEMO.sensorStream), RoleARN: ROLE }, InputSchema: demoInputSchema() }],
        Outputs: [{ Name: DEMO_OUTPUT_SQL_STREAM, KinesisStreamsOutput: { ResourceARN: streamArn(DEMO.averagesStream), RoleARN: ROLE }, DestinationSchema: { RecordFormatType: 'JSON' } }],
      }),
    ),
  );
  const app = (await c.analytics.send(new DescribeApplicationCommand({ ApplicationName: DEMO.application }))).ApplicationDetail!;
  // Applications that were RUNNING resume by themselves when the server starts.
  if (app.ApplicationStatus === 'READY') {
    const inputId = app.InputDescriptions?.[0]?.InputId;
    if (inputId) await c.analytics.send(new StartApplicationCommand({ ApplicationName: DEMO.application, InputConfigurations: [{ Id: inputId, InputStartingPositionConfiguration: { InputStartingPosition: 'NOW' } }] }));
  }
  return report;
}
