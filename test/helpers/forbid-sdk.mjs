// Loaded with `node --import`: any import of the AWS SDK fails, proving a command runs without it.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
      if (specifier.startsWith('@aws-sdk/')) throw new Error('AWS SDK loaded: ' + specifier);
      return next(specifier, context);
    }`),
);
