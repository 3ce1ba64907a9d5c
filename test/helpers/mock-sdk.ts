/**
 * The unit tests' fake AWS, after the AWS CDK CLI's mock-sdk: every SDK client a test answers is
 * mocked here, once per client class, with aws-sdk-client-mock (which replaces the class's `send`,
 * so the clients `testContext` builds (./context.ts) answer from it), and `resetSdkMocks()` clears
 * every answer and recorded call at once, so nothing leaks from one test into the next.
 */
import { mockClient } from 'aws-sdk-client-mock';

const mocks = new Map<unknown, { reset: () => unknown }>();

/** The mock of this SDK client class: made on first use, the same one after (two would fight over `send`). */
export const sdkMock = ((client: Parameters<typeof mockClient>[0]) => {
  const key = typeof client === 'function' ? client : client.constructor;
  if (!mocks.has(key)) mocks.set(key, mockClient(client) as never);
  return mocks.get(key) as never;
}) as typeof mockClient;

/** Forgets every mock's answers and calls: run it before each test (then give the test its answers). */
export function resetSdkMocks(): void {
  for (const mock of mocks.values()) mock.reset();
}
