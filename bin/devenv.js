#!/usr/bin/env node
// Loads the compiled CLI; the AWS SDK is imported lazily inside it, so --help stays fast.
import { run } from '../dist/cli.js';

process.exitCode = await run(process.argv.slice(2));
