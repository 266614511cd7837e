/**
 * Three simulated sensors: each an mqtt.js client of its own that publishes a JSON reading
 * `{ sensor, temperature, humidity, at }` every 500 ms (QoS 1) to `sensors/<id>/reading` on the
 * agent's embedded broker. Values follow a smooth random walk around a per-sensor base.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { DEMO } from './options.js';

export interface SensorReading {
  sensor: string;
  temperature: number;
  humidity: number;
  /** Wall time of the reading, ms since the epoch. */
  at: number;
}

export interface DemoSensors {
  published(): number;
  stop(): Promise<void>;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** One step of a random walk with a pull back to the base, so values stay plausible. */
export function nextReading(previous: SensorReading, base: { temperature: number; humidity: number }, nowMs: number, random: () => number): SensorReading {
  const step = (value: number, centre: number, size: number) => value + (random() - 0.5) * size + (centre - value) * 0.05;
  return {
    sensor: previous.sensor,
    temperature: round1(clamp(step(previous.temperature, base.temperature, 0.4), -40, 85)),
    humidity: round1(clamp(step(previous.humidity, base.humidity, 1), 0, 100)),
    at: nowMs,
  };
}

export async function startSensors(o: { brokerUrl: string; onError: (err: unknown) => void }): Promise<DemoSensors> {
  let published = 0;
  const clients: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (const [i, sensor] of DEMO.sensors.entries()) {
    const base = { temperature: 19 + i * 2.5, humidity: 38 + i * 6 };
    let reading: SensorReading = { sensor, temperature: base.temperature, humidity: base.humidity, at: Date.now() };
    const client = await connectAsync(o.brokerUrl, { clientId: `demo-${sensor}`, reconnectPeriod: 1000, connectTimeout: 10_000 });
    client.on('error', o.onError);
    clients.push(client);
    timers.push(
      setInterval(() => {
        reading = nextReading(reading, base, Date.now(), Math.random);
        client.publish(`sensors/${sensor}/reading`, JSON.stringify(reading), { qos: 1 }, (err) => (err ? o.onError(err) : published++));
      }, DEMO.sensorIntervalMs),
    );
  }
  return {
    published: () => published,
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all(clients.map((c) => c.endAsync()));
    },
  };
}
