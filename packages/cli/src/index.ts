export type { CliIo } from './io.js';
export { HELP, run } from './main.js';
