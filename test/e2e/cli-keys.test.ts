/**
 * `rivulet keys` on a server's data directory, and the CLI against that server with auth sigv4:
 * the key it created signs requests (from the environment or flags, in the source and in the
 * compiled bin/rivulet.js), unsigned and revoked keys are refused with one line, exit 1.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../harness/cli.js';
import { REPO_ROOT, startIngest, tempDir, type IngestProcess } from '../harness/ingest.js';

const run = promisify(execFile);
const dataDir = tempDir('rivulet-cli-keys-');
let server: IngestProcess;
let key: { accessKeyId: string; secretAccessKey: string };

beforeAll(async () => {
  const created = await runCli(['keys', 'create', '--name', 'operator', '--data-dir', dataDir, '--json']);
  expect(created.code).toBe(0);
  key = JSON.parse(created.stdout) as typeof key;
  server = await startIngest({ dataDir, args: ['--auth', 'sigv4'] });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  server?.cleanup();
});

const signed = () => ({ AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey });

describe('rivulet keys and SigV4', () => {
  it('creates a key the server accepts, signs with it from the environment or flags, and refuses unsigned requests', async () => {
    expect(key).toMatchObject({ accessKeyId: expect.stringMatching(/^RIV[A-Z2-7]{17}$/), secretAccessKey: expect.any(String), name: 'operator' });
    const ok = await runCli(['streams', 'create', 'secure'], { endpoint: server.endpoint, env: signed() });
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    const viaFlags = await runCli(['--access-key-id', key.accessKeyId, '--secret-access-key', key.secretAccessKey, 'put', 'secure', '--key', 'k', 'hi'], { endpoint: server.endpoint });
    expect(viaFlags.code).toBe(0);
    const anonymous = await runCli(['streams', 'list'], { endpoint: server.endpoint });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/^rivulet: UnrecognizedClientException: [^\n]+\n$/);
    const wrongSecret = await runCli(['streams', 'list', '--access-key-id', key.accessKeyId, '--secret-access-key', 'not-the-secret'], { endpoint: server.endpoint });
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.stderr).toMatch(/^rivulet: InvalidSignatureException: [^\n]+\n$/);
    expect(await runCli(['streams', 'list', '--access-key-id', key.accessKeyId], { endpoint: server.endpoint })).toMatchObject({
      code: 2,
      stderr: 'rivulet: UsageError: give both an access key id and a secret access key, or neither\n',
    });
  }, 120_000);

  it('runs the compiled bin/rivulet.js (built by tsc -b) against the server', async () => {
    await run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', join(REPO_ROOT, 'cli')], { cwd: REPO_ROOT });
    const listed = await runCli(['streams', 'list', '--json'], { endpoint: server.endpoint, env: signed(), compiled: true });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { Streams: { StreamName: string }[] }).Streams.map((s) => s.StreamName)).toEqual(['secure']);
    const got = await runCli(['get', 'secure', '--json'], { endpoint: server.endpoint, env: signed(), compiled: true });
    expect(jsonLines<{ PartitionKey: string; Text: string }>(got.stdout)).toEqual([expect.objectContaining({ PartitionKey: 'k', Text: 'hi' })]);
    const missing = await runCli(['streams', 'describe', 'nope'], { endpoint: server.endpoint, env: signed(), compiled: true });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^rivulet: ResourceNotFoundException: [^\n]+\n$/);
  }, 240_000);

  it('lists keys without secrets and revokes one, which the server then refuses', async () => {
    const second = JSON.parse((await runCli(['keys', 'create', '--name', 'camera-7', '--data-dir', dataDir, '--json'])).stdout) as typeof key;
    const listed = await runCli(['keys', 'list', '--data-dir', dataDir, '--json']);
    const keys = (JSON.parse(listed.stdout) as { keys: { accessKeyId: string; name: string; revoked: boolean }[] }).keys;
    expect(keys.map((k) => [k.name, k.revoked])).toEqual([['operator', false], ['camera-7', false]]);
    expect(listed.stdout).not.toContain(key.secretAccessKey);
    const table = await runCli(['keys', 'list', '--credentials-file', join(dataDir, 'credentials.json')]);
    expect(table.stdout).toMatch(/^ACCESS KEY ID\s+STATUS\s+CREATED\s+NAME$/m);
    expect(table.stdout).toContain('camera-7');

    const revoked = await runCli(['keys', 'revoke', second.accessKeyId, '--data-dir', dataDir]);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked ${second.accessKeyId}.\n` });
    const again = await runCli(['keys', 'revoke', second.accessKeyId, '--data-dir', dataDir, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ AccessKeyId: second.accessKeyId, Revoked: true, AlreadyRevoked: true });
    const unknown = await runCli(['keys', 'revoke', 'RIVNOSUCHKEY00000000', '--data-dir', dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^rivulet: KeysError: no access key RIVNOSUCHKEY00000000 in [^\n]+\n$/);

    // The server reloads the credentials file within 2 s.
    const env = { AWS_ACCESS_KEY_ID: second.accessKeyId, AWS_SECRET_ACCESS_KEY: second.secretAccessKey };
    const deadline = Date.now() + 15_000;
    let refused = await runCli(['streams', 'list'], { endpoint: server.endpoint, env });
    while (refused.code === 0 && Date.now() < deadline) refused = await runCli(['streams', 'list'], { endpoint: server.endpoint, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^rivulet: UnrecognizedClientException: [^\n]+\n$/);
  }, 120_000);
});
