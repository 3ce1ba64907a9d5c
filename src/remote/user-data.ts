import { readFile } from 'node:fs/promises';
import { DATA_MOUNT } from '../blueprint/compute.js';
import type { Model } from '../config/model.js';

/** The EC2 user data template, relative to this module in both src/ and dist/. */
export const USER_DATA_TEMPLATE = new URL('../../templates/user-data.sh', import.meta.url);

/** The login user of Canonical's Ubuntu images. */
export const ADMIN_USER = 'ubuntu';

/** Quotes a value for a POSIX shell: single quotes, each embedded `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The values the user data template's `{{NAME}}` placeholders stand for. */
export function userDataValues(model: Pick<Model, 'project' | 'region'>): Record<string, string> {
  return { PROJECT: model.project, AWS_REGION: model.region, DATA_MOUNT, ADMIN_USER };
}

const PLACEHOLDER = /\{\{([A-Z0-9_]+)\}\}/g;

/** Replaces every `{{NAME}}` with its shell-quoted value; an unknown or unused name is a bug in the template or here. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  const unused = new Set(Object.keys(values));
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    unused.delete(name);
    return shellQuote(value);
  });
  if (unused.size > 0) throw new Error(`template has no placeholder for ${[...unused].join(', ')}`);
  return out;
}

/** The instance's user data for this model: pure, given the template text. */
export const renderUserData = (template: string, model: Pick<Model, 'project' | 'region'>): string =>
  renderTemplate(template, userDataValues(model));

export async function loadUserDataTemplate(): Promise<string> {
  return readFile(USER_DATA_TEMPLATE, 'utf8');
}
