#!/usr/bin/env node
/**
 * Entry point of the `ect` command line.
 * @module
 */
import { EXIT_OUTPUT_CLOSED, processIo } from './io.js';
import { runCli } from './program.js';

const io = processIo();
const code = await runCli(process.argv.slice(2), io);
process.exitCode = io.outputClosed() ? EXIT_OUTPUT_CLOSED : code;
