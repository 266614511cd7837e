// The `rivulet keys` command of the CLI (issue 8) manages the same credentials file.
export { runKeysCommand, KEYS_USAGE } from './auth/keys-command.js';
export { defaultCredentialsPath } from './auth/credentials.js';
