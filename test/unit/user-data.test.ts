import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_MOUNT } from '../../src/blueprint/compute.js';
import { renderTemplate, shellQuote } from '../../src/remote/templates.js';
import { loadUserDataTemplate, renderUserData } from '../../src/remote/user-data.js';

const model = { project: 'demo', region: 'ap-southeast-7' };

const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;
const underCi = process.env.CI === 'true';

describe('user data', () => {
  it('renders every placeholder, shell-quoted', async () => {
    const script = renderUserData(await loadUserDataTemplate(), model);
    expect(script).not.toMatch(/\{\{[A-Z0-9_]+\}\}/);
    expect(script.split('\n')).toEqual(
      expect.arrayContaining([
        '#!/bin/bash',
        'set -euo pipefail',
        "PROJECT='demo'",
        "AWS_REGION='ap-southeast-7'",
        `DATA_MOUNT='${DATA_MOUNT}'`,
        "ADMIN_USER='ubuntu'",
      ]),
    );
  });

  it('installs Docker from its apt repository, AWS CLI v2 and the CloudWatch agent, and makes the mount point', async () => {
    const script = renderUserData(await loadUserDataTemplate(), model);
    expect(script).toMatch(/for pkg in docker\.io .*podman-docker/);
    expect(script).toContain('https://download.docker.com/linux/ubuntu');
    expect(script).toContain(
      'apt_get install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin',
    );
    expect(script).not.toContain('get.docker.com');
    // conntrack: what the idle check reads the connection-tracking table with where the kernel has no file for it.
    expect(script).toContain('apt_get install ca-certificates curl unzip argon2 conntrack');
    expect(script).toContain('https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip');
    expect(script).toMatch(/dpkg -i -E "\$\{workdir\}\/amazon-cloudwatch-agent\.deb"/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, as the script has it
    expect(script).toContain('install -m 0755 -d "${DATA_MOUNT}"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, as the script has it
    expect(script).toContain('usermod -aG docker "${ADMIN_USER}"');
  });

  it('holds no secret: nothing from Secrets Manager, no password', async () => {
    const script = renderUserData(await loadUserDataTemplate(), model);
    expect(script).not.toMatch(/secretsmanager|get-secret-value|PASSWORD=/i);
  });

  it('quotes values so the shell cannot read them as code', () => {
    expect(shellQuote("it's $(rm -rf /)")).toBe(`'it'\\''s $(rm -rf /)'`);
    const rendered = renderTemplate('X={{X}}\necho "$X"\n', { X: "a'b $(id)" });
    const run = spawnSync('bash', ['-c', rendered], { encoding: 'utf8' });
    expect(run.stdout).toBe("a'b $(id)\n");
  });

  it('refuses a placeholder without a value, and a value without a placeholder', () => {
    expect(() => renderTemplate('{{A}} {{B}}', { A: 'a' })).toThrow(/\{\{B\}\} has no value/);
    expect(() => renderTemplate('{{A}}', { A: 'a', C: 'c' })).toThrow(/no placeholder for C/);
  });

  it('is valid bash', async () => {
    const run = spawnSync('bash', ['-n'], {
      input: renderUserData(await loadUserDataTemplate(), model),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it.skipIf(!hasShellcheck && !underCi)(
    'passes shellcheck (skipped: shellcheck is not installed; CI installs it with apt)',
    async () => {
      expect(hasShellcheck, 'shellcheck is required under CI=true (apt-get install shellcheck)').toBe(true);
      const file = join(mkdtempSync(join(tmpdir(), 'devenv-user-data-')), 'user-data.sh');
      writeFileSync(file, renderUserData(await loadUserDataTemplate(), model));
      const run = spawnSync('shellcheck', ['--severity=style', '--shell=bash', file], { encoding: 'utf8' });
      expect(run.stdout).toBe('');
      expect(run.status).toBe(0);
    },
  );
});
