/**
 * Loading the agent config: YAML text -> size strings ("256MiB") resolved -> environment
 * overrides for secrets and identity -> defaults -> validation that names the bad field's path.
 * Never reads process.env itself; main.ts passes the environment in.
 */
import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { AgentConfigSchema, type AgentConfig } from './schema.js';
import { parseTestPatternUrl, TEST_PATTERN_SCHEME } from '../sources/camera/test-pattern.js';

export class AgentConfigError extends Error {}

/** Environment variables that override config fields (secrets stay out of the YAML file). */
export const ENV_OVERRIDES = {
  RIVULET_DEVICE_ID: ['device', 'id'],
  RIVULET_SERVER_ENDPOINT: ['server', 'endpoint'],
  RIVULET_ACCESS_KEY_ID: ['server', 'accessKeyId'],
  RIVULET_SECRET_ACCESS_KEY: ['server', 'secretAccessKey'],
} as const;

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Turns "256MiB" / "10 kB" into bytes wherever a field name ends in Bytes or BytesPerSecond. */
function resolveSizes(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveSizes(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveSizes(v, k)]));
  }
  if (typeof value === 'string' && /Bytes(PerSecond)?$/.test(key)) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
    const unit = UNITS[(m?.[2] || 'b').toLowerCase()];
    if (m && unit !== undefined) return Math.round(Number(m[1]) * unit);
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: string): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    node = (next !== null && typeof next === 'object' ? next : (node[part] = {})) as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * The first validation error, followed into unions: TypeBox reports a failed union only at the
 * union itself, so we pick the branch the value meant (the one whose errors go deepest, i.e.
 * whose discriminating fields matched) and report the error inside it.
 */
interface FoundError {
  path: string;
  message: string;
}

/** A branch whose own literal field (a `type: mqtt` discriminator, say) does not match. */
function discriminatorMismatch(branch: TSchema, value: unknown): boolean {
  for (const e of Value.Errors(branch, value)) {
    if ((e.schema as { const?: unknown }).const !== undefined && e.path.split('/').length === 2) return true;
  }
  return false;
}

/**
 * The first error, passing over missing fields that have a default: TypeBox fills a union
 * branch's defaults only when the filled value checks, so one bad field in a branch also shows
 * every defaulted field as missing, and the bad field is the one to name.
 */
function firstValueError(schema: TSchema, value: unknown) {
  let first;
  for (const e of Value.Errors(schema, value)) {
    first ??= e;
    if (!(e.value === undefined && (e.schema as { default?: unknown }).default !== undefined)) return e;
  }
  return first;
}

function firstError(schema: TSchema, value: unknown, base: string): FoundError | null {
  const error = firstValueError(schema, value);
  if (!error) return null;
  const here = { path: base + error.path, message: error.message };
  const branches = (error.schema as { anyOf?: TSchema[] }).anyOf;
  if (!branches) return here;
  const meant = branches.filter((b) => !discriminatorMismatch(b, error.value));
  const candidates = (meant.length > 0 ? meant : branches)
    .map((branch) => firstError(branch, error.value, here.path))
    .filter((e): e is FoundError => e !== null)
    .sort((a, b) => b.path.split('/').length - a.path.split('/').length);
  const deepest = candidates[0];
  return deepest && deepest.path.length > here.path.length ? deepest : here;
}

/** '/sources/0/subscriptions/1/qos' -> 'sources[0].subscriptions[1].qos' */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}

export function parseAgentConfig(yamlText: string, env: Record<string, string | undefined> = {}, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): AgentConfig {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText) ?? {};
  } catch (e) {
    throw new AgentConfigError(`config is not valid YAML: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AgentConfigError('config must be a YAML mapping');
  const doc = resolveSizes(raw) as Record<string, unknown>;
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(doc, path, value);
  }
  const withDefaults = Value.Default(AgentConfigSchema, doc);
  const worst = firstError(AgentConfigSchema, withDefaults, '');
  if (worst) throw new AgentConfigError(`config field ${fieldPath(worst.path) || '(root)'}: ${worst.message}`);
  const config = withDefaults as AgentConfig;
  if (config.server.secretFile && !config.server.secretAccessKey) {
    try {
      config.server.secretAccessKey = readFile(config.server.secretFile).trim();
    } catch (e) {
      throw new AgentConfigError(`config field server.secretFile: cannot read ${config.server.secretFile}: ${(e as Error).message}`);
    }
  }
  const names = new Set<string>();
  for (const [i, source] of config.sources.entries()) {
    if (names.has(source.name)) throw new AgentConfigError(`config field sources[${i}].name: "${source.name}" is used by another source`);
    names.add(source.name);
    if (source.type === 'camera' && source.url.startsWith(TEST_PATTERN_SCHEME) && !parseTestPatternUrl(source.url)) {
      throw new AgentConfigError(`config field sources[${i}].url: a test pattern takes size=WxH (even, 10-9999) and rate=1-60, e.g. testsrc://?size=640x360&rate=15`);
    }
  }
  return config;
}

export function loadAgentConfig(path: string, env: Record<string, string | undefined>): AgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AgentConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  return parseAgentConfig(text, env);
}
