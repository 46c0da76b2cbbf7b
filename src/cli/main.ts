#!/usr/bin/env node
/** The `custos` command. */
import { run } from './run.js';

process.exitCode = await run(process.argv.slice(2));
