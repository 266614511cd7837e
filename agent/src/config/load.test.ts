import { describe, expect, it } from 'vitest';
import { AgentConfigError, parseAgentConfig } from './load.js';

const VALID = `
device:
  id: gateway-07
server:
  endpoint: http://127.0.0.1:4567
buffer:
  maxBytes: 64MiB
  streams:
    alerts: { priority: 0, whenFull: block }
upload:
  bandwidthBytesPerSecond: 256 KiB
sources:
  - type: mqtt
    name: sensors
    broker: { embedded: { port: 1884 } }
    subscriptions:
      - topic: sensors/+device/+kind
        stream: telemetry
        partitionKey: { topicSegment: device }
        payload: json
    deadLetterStream: telemetry-dead
  - type: system
    name: health
    stream: device-health
`;

const error = (yaml: string, env: Record<string, string> = {}) => {
  try {
    parseAgentConfig(yaml, env);
  } catch (e) {
    expect(e).toBeInstanceOf(AgentConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be refused');
};

describe('agent config', () => {
  it('fills defaults and resolves sizes with units', () => {
    const config = parseAgentConfig(VALID);
    expect(config.buffer.maxBytes).toBe(64 * 1024 * 1024);
    expect(config.upload.bandwidthBytesPerSecond).toBe(256 * 1024);
    expect(config.upload.maxBatchRecords).toBe(500);
    expect(config.buffer.default).toEqual({ priority: 5, whenFull: 'drop_oldest' });
    expect(config.buffer.streams.alerts).toEqual({ priority: 0, whenFull: 'block' });
    expect(config.server).toMatchObject({ region: 'us-east-1', idempotentProducer: true });
    expect(config.status).toEqual({ host: '127.0.0.1', port: 8787 });
    const mqtt = config.sources[0]!;
    expect(mqtt.type === 'mqtt' && mqtt.subscriptions[0]!.qos).toBe(1);
    const system = config.sources[1]!;
    expect(system.type === 'system' && system.intervalMs).toBe(10_000);
  });

  it('takes secrets and identity from the environment over the file', () => {
    const config = parseAgentConfig(VALID, { RIVULET_SECRET_ACCESS_KEY: 's3cret', RIVULET_ACCESS_KEY_ID: 'RIVKEY', RIVULET_DEVICE_ID: 'from-env' });
    expect(config.server).toMatchObject({ accessKeyId: 'RIVKEY', secretAccessKey: 's3cret' });
    expect(config.device.id).toBe('from-env');
  });

  it('reads the secret from secretFile when it is not given inline', () => {
    const yaml = VALID.replace('endpoint: http://127.0.0.1:4567', 'endpoint: http://127.0.0.1:4567\n  secretFile: /etc/rivulet/secret');
    const config = parseAgentConfig(yaml, {}, () => 'from-file\n');
    expect(config.server.secretAccessKey).toBe('from-file');
  });

  it('fails fast naming the path of the bad field', () => {
    expect(error(VALID.replace('        stream: telemetry', '        stream: telemetry\n        qos: 3'))).toMatch(/^config field sources\[0\]\.subscriptions\[0\]\.qos/);
    expect(error(VALID.replace('  id: gateway-07', '  id: "bad id!"'))).toMatch(/^config field device\.id/);
    expect(error(VALID.replace('endpoint: http://127.0.0.1:4567', 'endpoint: ftp://x'))).toMatch(/^config field server\.endpoint/);
    expect(error(VALID.replace('maxBytes: 64MiB', 'maxBytes: lots'))).toMatch(/^config field buffer\.maxBytes/);
    expect(error(VALID.replace('whenFull: block', 'whenFull: explode'))).toMatch(/^config field buffer\.streams\.alerts\.whenFull/);
    expect(error(VALID.replace('    name: health', '    name: sensors'))).toMatch(/^config field sources\[1\]\.name/);
    expect(error(VALID + 'extra: 1\n')).toMatch(/^config field/);
    expect(error('device: [')).toMatch(/not valid YAML/);
  });
});
