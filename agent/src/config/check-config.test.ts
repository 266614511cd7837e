import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const agent = (args: string[]) =>
  run(process.execPath, ['--conditions=rivulet-src', '--import', 'tsx', join(ROOT, 'agent/src/main.ts'), ...args], { cwd: ROOT }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('rivulet-agent check-config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-agent-config-'));

  it('accepts a valid file and summarises it', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'device: { id: cam-1 }\nserver: { endpoint: "http://127.0.0.1:4567" }\nsources:\n  - { type: system, name: health, stream: device-health }\n');
    const out = await agent(['check-config', '--config', file]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('config OK: device cam-1');
    expect(out.stdout).toContain('system:health');
  });

  it('exits 2 with the path of the bad field', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'device: { id: cam-1 }\nserver: { endpoint: "http://127.0.0.1:4567" }\nsources:\n  - { type: system, name: health, stream: device-health, intervalMs: 5 }\n');
    const out = await agent(['check-config', '--config', file]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/config field sources\[0\]\.intervalMs/);
  });
});
