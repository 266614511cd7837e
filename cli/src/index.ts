/** @rivulet/cli: the command table and runner behind the `rivulet` bin, for embedding and tests. */
export { EXIT, describeFailure, loadCommands, runCli } from './cli.js';
export type { CliIo, CommandSpec } from './command.js';
