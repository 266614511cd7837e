/**
 * Finds the ffmpeg the demo hands to the server and the agent: $FFMPEG_PATH, else ffmpeg on PATH,
 * else the binary shipped by the npm package @ffmpeg-installer/ffmpeg (imported only when needed,
 * since it is optional). Null when there is none; the caller says what to install.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface FoundFfmpeg {
  path: string;
  from: 'FFMPEG_PATH' | 'PATH' | '@ffmpeg-installer/ffmpeg';
}

export const FFMPEG_MISSING =
  'ffmpeg was not found: set FFMPEG_PATH, install it (Debian/Ubuntu: sudo apt-get install ffmpeg), or run `npm install @ffmpeg-installer/ffmpeg`';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(name: string, pathVar: string | undefined): string | null {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The npm-shipped binary; the specifier is a variable so the package stays optional for tsc. */
async function fromNpmPackage(): Promise<string | null> {
  const specifier = '@ffmpeg-installer/ffmpeg';
  try {
    const mod = (await import(specifier)) as { path?: string; default?: { path?: string } };
    const path = mod.path ?? mod.default?.path;
    return path && executable(path) ? path : null;
  } catch {
    return null;
  }
}

export async function findFfmpeg(env: NodeJS.ProcessEnv): Promise<FoundFfmpeg | null> {
  if (env.FFMPEG_PATH) return executable(env.FFMPEG_PATH) ? { path: env.FFMPEG_PATH, from: 'FFMPEG_PATH' } : null;
  const onPath = findOnPath('ffmpeg', env.PATH);
  if (onPath) return { path: onPath, from: 'PATH' };
  const shipped = await fromNpmPackage();
  return shipped ? { path: shipped, from: '@ffmpeg-installer/ffmpeg' } : null;
}
