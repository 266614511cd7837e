/**
 * `rivulet-ingest kms ...`: the operator's side of the local key store.
 *   kms list [--json] | kms create [--alias alias/NAME] [--description TEXT] [--json]
 *   kms rotate KEY | kms disable KEY | kms enable KEY        (KEY: id, ARN or alias)
 * A running server loads keys at start: a rotation made here is used for new data after the
 * server restarts, and every older version keeps decrypting meanwhile.
 */
import { isRivuletError } from '@rivulet/shared';
import type { KeyDescription, LocalKeyStore } from './key-store.js';

export const KMS_USAGE = 'usage: kms list [--json] | kms create [--alias alias/NAME] [--description TEXT] [--json] | kms rotate|disable|enable KEY';

function line(k: KeyDescription): string {
  return `${k.keyId}  v${k.currentVersion}  ${k.enabled ? 'enabled ' : 'disabled'}  ${k.aliases.join(',') || '-'}  ${k.description}`;
}

export async function runKmsCommand(argv: string[], opts: { open: () => Promise<LocalKeyStore>; out: (l: string) => void; err: (l: string) => void }): Promise<number> {
  const [command, ...rest] = argv[0] === 'kms' ? argv.slice(1) : argv;
  const json = rest.includes('--json');
  const args = rest.filter((a) => a !== '--json');
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const show = (k: KeyDescription) => opts.out(json ? JSON.stringify(k) : line(k));
  try {
    const store = await opts.open();
    switch (command) {
      case 'list': {
        const keys = store.listKeys();
        if (json) opts.out(JSON.stringify(keys));
        else keys.forEach((k) => opts.out(line(k)));
        return 0;
      }
      case 'create':
        show(store.createKey({ alias: flag('--alias'), description: flag('--description') }));
        return 0;
      case 'rotate':
      case 'disable':
      case 'enable': {
        const key = args[0];
        if (!key) break;
        show(command === 'rotate' ? store.rotateKey(key) : command === 'disable' ? store.disableKey(key) : store.enableKey(key));
        return 0;
      }
    }
    opts.err(KMS_USAGE);
    return 2;
  } catch (e) {
    opts.err(`kms ${command ?? ''}: ${isRivuletError(e) || e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
