// Loaded with `node --import`: any import or require of the AWS SDK fails, proving a command runs without it.
import Module, { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
      if (specifier.startsWith('@aws-sdk/')) throw new Error('AWS SDK loaded: ' + specifier);
      return next(specifier, context);
    }`),
);

// src/aws/clients.ts requires each client's package when it builds the first client of it.
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request.startsWith('@aws-sdk/')) throw new Error(`AWS SDK loaded: ${request}`);
  return load.call(this, request, ...rest);
};
