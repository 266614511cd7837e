import { describe, expect, it } from 'vitest';
import { resolveAuthMode } from './app.js';
import { ConfigError, loadConfig } from './config.js';

describe('rivulet-ingest configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 4567, auth: 'auto', region: 'us-east-1', syncWrites: true });
    expect(config.streams.limits).toMatchObject({ enabled: true, writeRecordsPerSecond: 1000, readCallsPerSecond: 5 });
    expect(config.dataDir.endsWith('/data')).toBe(true);
  });

  it('layers env under flags', () => {
    const config = loadConfig(['--port', '9000', '--auth=sigv4'], { RIVULET_PORT: '8000', RIVULET_HOST: '127.0.0.2', RIVULET_DATA_DIR: '/tmp/x' });
    expect(config).toMatchObject({ port: 9000, host: '127.0.0.2', auth: 'sigv4', dataDir: '/tmp/x' });
  });

  it('fails fast naming the bad field', () => {
    expect(() => loadConfig(['--port', '70000'], {})).toThrow(/config\.port/);
    expect(() => loadConfig(['--auth', 'maybe'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--bogus', '1'], {})).toThrow(/unknown option --bogus/);
    expect(() => loadConfig([], { RIVULET_PORT: 'abc' })).toThrow(/RIVULET_PORT/);
  });

  it('defaults storage to LevelDB and layers the JetStream settings from file and env', () => {
    expect(loadConfig([], {}).storage).toEqual({ engine: 'leveldb', servers: ['nats://127.0.0.1:4222'], replicas: 3, prefix: 'rivulet', ingestProcesses: 1 });
    const env = { RIVULET_STORAGE_ENGINE: 'jetstream', RIVULET_NATS_SERVERS: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222' };
    expect(loadConfig([], env).storage).toMatchObject({ engine: 'jetstream', servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], replicas: 3 });
    expect(() => loadConfig([], { RIVULET_STORAGE_ENGINE: 'redis' })).toThrow(/config\.storage\.engine/);
  });

  it('turns auth off only on loopback', () => {
    expect(resolveAuthMode(loadConfig([], {}))).toBe('none');
    expect(resolveAuthMode(loadConfig(['--host', '0.0.0.0'], {}))).toBe('sigv4');
    expect(() => resolveAuthMode(loadConfig(['--host', '0.0.0.0', '--auth', 'none'], {}))).toThrow(/only on loopback/);
    expect(resolveAuthMode(loadConfig(['--auth', 'sigv4'], {}))).toBe('sigv4');
  });
});
