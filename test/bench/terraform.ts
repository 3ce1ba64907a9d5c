/**
 * The bench's Terraform side: ./terraform/main.tf (devenv's AWS side as a plain configuration) run
 * with the Terraform CLI and the AWS provider from a filesystem mirror (no internet), against the
 * same moto server and behind the same latency proxy as devenv's per-process rows. Its calls are
 * counted at the proxy, from each request (./requests.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEd25519 } from '../../src/ssh/keys.js';
import { awsEnv, BASE_DOMAIN, REGION, type Workspace } from '../integration/moto.js';

const TERRAFORM = process.env.DEVENV_BENCH_TERRAFORM ?? '/usr/local/bin/terraform';
const MIRROR = process.env.DEVENV_BENCH_TF_MIRROR ?? '/opt/tf-plugins';
const PROVIDER = 'registry.terraform.io/hashicorp/aws/5.100.0';
/** main.tf and the per-developer module it uses (./terraform/developer). */
const CONFIG = join(import.meta.dirname, 'terraform');

/** Whether the Terraform rows can run here: the CLI, and the AWS provider in the mirror. Else why not. */
export function terraformAvailable(): { ok: true } | { ok: false; why: string } {
  const version = spawnSync(TERRAFORM, ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) return { ok: false, why: `no terraform at ${TERRAFORM}` };
  if (!existsSync(join(MIRROR, PROVIDER)))
    return { ok: false, why: `the AWS provider 5.100.0 is not in the filesystem mirror ${MIRROR}` };
  return { ok: true };
}

export interface TerraformResult {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
}

/** One Terraform working directory: main.tf (with its module), its variables for a workspace, the mirror as the only provider source. */
export class TerraformDir {
  private constructor(
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(ws: Workspace, endpoint: string, developers: number, project: string): Promise<TerraformDir> {
    const dir = await mkdtemp(join(tmpdir(), 'devenv-bench-tf-'));
    await cp(CONFIG, dir, { recursive: true });
    const cliConfig = join(dir, 'terraform.rc');
    await writeFile(
      cliConfig,
      `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(MIRROR)}\n  }\n}\n`,
    );
    const vars = {
      endpoint,
      region: REGION,
      project,
      developers: Array.from({ length: developers }, (_, i) => `dev${i + 1}`),
      base_domain: BASE_DOMAIN,
      hosted_zone_id: ws.zoneId,
      ami_id: ws.amiId,
      instance_type: 't3.2xlarge',
      admin_cidr: '203.0.113.7/32',
      public_key: generateEd25519('bench').publicKey,
      base_port: 8443,
      data_volume_gib: 500,
      root_volume_gib: 50,
    };
    await writeFile(join(dir, 'terraform.tfvars.json'), JSON.stringify(vars, null, 2));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...awsEnv(endpoint),
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
    };
    delete env.AWS_PROFILE;
    delete env.AWS_ENDPOINT_URL; // the provider's endpoints block names the proxy for each service
    const tf = new TerraformDir(dir, env);
    const init = await tf.run(['init', '-no-color']);
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.stderr}${init.stdout}`);
    return tf;
  }

  run(args: string[]): Promise<TerraformResult> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(TERRAFORM, args, { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, ms: performance.now() - started, stdout, stderr }));
    });
  }

  /** `apply` (fresh or converged), `plan` or `destroy`, without a prompt. */
  async command(name: 'apply' | 'plan' | 'destroy'): Promise<TerraformResult> {
    const args = name === 'plan' ? ['plan', '-no-color', '-input=false'] : [name, '-auto-approve', '-no-color'];
    const r = await this.run(args);
    if (r.code !== 0) throw new Error(`terraform ${name} failed (${r.code}):\n${r.stderr}\n${r.stdout.slice(-3000)}`);
    return r;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
