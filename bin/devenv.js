#!/usr/bin/env node
// Library warnings (the SDK's Node-version notice and the like) are not for devenv's users.
process.removeAllListeners('warning');

// Loads the compiled CLI; the AWS SDK is imported lazily inside it, so --help stays fast.
const { run } = await import('../dist/cli.js');
process.exitCode = await run(process.argv.slice(2));
