/**
 * The stock AWS SDK v3 clients, pointed at the server from the global options. Owns their
 * configuration (HTTP/1.1 keep-alive, explicit credentials so the SDK never reads ~/.aws), one
 * instance per client class and endpoint, and destroying them when the command ends. Commands
 * pass the client class they use, so only the SDK packages a command needs are loaded.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { GlobalOptions } from './command.js';

/** Socket idle limit: long enough for a clip being remuxed by the server. */
const REQUEST_TIMEOUT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 5_000;

export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: GlobalOptions['credentials'];
  maxAttempts: number;
  requestHandler: NodeHttpHandler;
}

type ClientClass<T> = new (config: ClientConfig) => T;

export class Clients {
  private readonly made = new Map<ClientClass<unknown>, Map<string, { destroy(): void }>>();

  constructor(private readonly globals: GlobalOptions) {}

  /**
   * @param endpoint another base URL, e.g. a video stream's data endpoint (GetDataEndpoint)
   * @example
   * ctx.clients.get(KinesisClient).send(new ListStreamsCommand({}))
   */
  get<T extends { destroy(): void }>(Client: ClientClass<T>, endpoint = this.globals.endpoint): T {
    let byEndpoint = this.made.get(Client);
    if (!byEndpoint) this.made.set(Client, (byEndpoint = new Map()));
    let client = byEndpoint.get(endpoint) as T | undefined;
    if (!client) {
      client = new Client({
        endpoint,
        region: this.globals.region,
        credentials: this.globals.credentials,
        maxAttempts: 3,
        requestHandler: new NodeHttpHandler({ connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }),
      });
      byEndpoint.set(endpoint, client);
    }
    return client;
  }

  destroy(): void {
    for (const byEndpoint of this.made.values()) for (const client of byEndpoint.values()) client.destroy();
    this.made.clear();
  }
}
