import { isMutating } from '../../src/aws/clients.js';

/** What aws-sdk-client-mock recorded, as `{ op, input }` (`op` without the `Command` suffix). */
interface MockWithCalls {
  calls(): { args: unknown[] }[];
}

export function sentCalls(mock: MockWithCalls): { op: string; input: Record<string, unknown> }[] {
  return mock.calls().map((c) => {
    const command = c.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
    return { op: command.constructor.name.replace(/Command$/, ''), input: command.input };
  });
}

export const operations = (mock: MockWithCalls): string[] => sentCalls(mock).map((c) => c.op);
export const mutatingOperations = (mock: MockWithCalls): string[] => operations(mock).filter(isMutating);
