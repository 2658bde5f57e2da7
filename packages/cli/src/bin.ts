#!/usr/bin/env node
import { run } from './main.js';
import { readSecret } from './secret-input.js';

const color = Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined;
process.exitCode = await run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  color,
  cwd: process.cwd(),
  readSecret,
});
