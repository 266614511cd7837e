/** The Kinesis Data Streams response shapes the console reads (the fields it uses). */

export interface StreamSummary {
  StreamName: string;
  StreamStatus?: string;
  StreamModeDetails?: { StreamMode: string };
}

export interface ListStreamsOutput {
  StreamNames: string[];
  HasMoreStreams: boolean;
  StreamSummaries?: StreamSummary[];
}

export interface DescribeStreamSummaryOutput {
  StreamDescriptionSummary: {
    StreamName: string;
    StreamARN: string;
    StreamStatus: string;
    StreamModeDetails?: { StreamMode: string };
    RetentionPeriodHours: number;
    StreamCreationTimestamp: number;
    EncryptionType?: string;
    OpenShardCount: number;
    ConsumerCount?: number;
  };
}

export interface Shard {
  ShardId: string;
  ParentShardId?: string;
  AdjacentParentShardId?: string;
  HashKeyRange: { StartingHashKey: string; EndingHashKey: string };
  SequenceNumberRange: { StartingSequenceNumber: string; EndingSequenceNumber?: string };
}

export interface ListShardsOutput {
  Shards: Shard[];
  NextToken?: string;
}

export interface KinesisRecord {
  SequenceNumber: string;
  ApproximateArrivalTimestamp: number;
  Data: string;
  PartitionKey: string;
}

export interface GetRecordsOutput {
  Records: KinesisRecord[];
  NextShardIterator?: string;
  MillisBehindLatest?: number;
}
