/**
 * Example values: the shell scripts' documentation ships them, `devenv init` writes some, and none
 * can be right for a real environment. Said as a warning, by config key.
 */
export const PLACEHOLDERS: { key: string; test: (value: string) => boolean; why: string }[] = [
  {
    key: 'accountId',
    test: (v) => v === '123456789012',
    why: "the example account id from the scripts' documentation",
  },
  {
    key: 'hostedZoneId',
    test: (v) => /^(\/hostedzone\/)?Z1234567890ABC$/.test(v),
    why: "the example hosted zone id from the scripts' documentation",
  },
  {
    key: 'baseDomain',
    test: (v) => /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/i.test(v),
    why: 'a domain reserved for examples (RFC 2606)',
  },
  {
    key: 'ssh.adminCidr',
    test: (v) => /^1\.2\.3\.4(\/32)?$/.test(v) || /^(192\.0\.2|198\.51\.100|203\.0\.113)\./.test(v),
    why: 'an example address, not yours (find yours with `curl https://checkip.amazonaws.com`)',
  },
];

const valueAt = (config: unknown, key: string): unknown =>
  key
    .split('.')
    .reduce<unknown>(
      (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      config,
    );

/**
 * `baseDomain "dev.example.com" is a domain reserved for examples (RFC 2606): replace it` for each example value in a
 * config.
 */
export function placeholderWarnings(config: unknown): string[] {
  return PLACEHOLDERS.flatMap(({ key, test, why }) => {
    const value = valueAt(config, key);
    return typeof value === 'string' && test(value)
      ? [`${key} "${value}" is ${why}: replace it before \`devenv up\``]
      : [];
  });
}
