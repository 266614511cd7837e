import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { CreateStreamCommand, ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http1Kinesis, stockKinesis } from '../harness/clients.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const run = promisify(execFile);
const MAIN = join(REPO_ROOT, 'ingest-server/src/main.ts');
const cli = (args: string[]) => run(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', MAIN, ...args], { cwd: REPO_ROOT });

let server: IngestProcess;
let key: { accessKeyId: string; secretAccessKey: string };

beforeAll(async () => {
  const dataDir = tempDir();
  const created = await cli(['keys', 'create', '--name', 'test', '--json', '--data-dir', dataDir]);
  key = JSON.parse(created.stdout) as typeof key;
  server = await startIngest({ dataDir, args: ['--auth', 'sigv4'] });
});

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
});

describe('SigV4 authentication', () => {
  it('accepts requests the stock client signs with a key from `rivulet-ingest keys create`', async () => {
    const client = stockKinesis(server.endpoint, key);
    try {
      await client.send(new CreateStreamCommand({ StreamName: 'signed', ShardCount: 1 }));
      const put = await client.send(new PutRecordCommand({ StreamName: 'signed', PartitionKey: 'k', Data: new Uint8Array([1, 2, 3]) }));
      expect(put.SequenceNumber).toBeTruthy();
    } finally {
      client.destroy();
    }
  });

  it('rejects a wrong secret with 403 InvalidSignatureException', async () => {
    const client = http1Kinesis(server.endpoint, { accessKeyId: key.accessKeyId, secretAccessKey: `${key.secretAccessKey}x` });
    try {
      await expect(client.send(new ListStreamsCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    } finally {
      client.destroy();
    }
  });

  it('rejects an unknown access key with 403 UnrecognizedClientException', async () => {
    const client = http1Kinesis(server.endpoint, { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: key.secretAccessKey });
    try {
      await expect(client.send(new ListStreamsCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } });
    } finally {
      client.destroy();
    }
  });

  it('rejects an unsigned request with 403 MissingAuthenticationTokenException', async () => {
    const res = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'Kinesis_20131202.ListStreams', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('takes a revoked key out of service without a restart', async () => {
    const second = JSON.parse((await cli(['keys', 'create', '--json', '--data-dir', server.dataDir])).stdout) as typeof key;
    await new Promise((r) => setTimeout(r, 2_500));
    const client = http1Kinesis(server.endpoint, second);
    try {
      await expect(client.send(new ListStreamsCommand({}))).resolves.toBeTruthy();
      await cli(['keys', 'revoke', second.accessKeyId, '--data-dir', server.dataDir]);
      await new Promise((r) => setTimeout(r, 2_500));
      await expect(client.send(new ListStreamsCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    } finally {
      client.destroy();
    }
  }, 30_000);

  it('refuses to start without authentication on a non-loopback address, before binding', async () => {
    const err = await cli(['--host', '0.0.0.0', '--auth', 'none', '--data-dir', tempDir()]).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain('only on loopback');
  });
});
