import { readFile } from 'node:fs/promises';
import { DATA_MOUNT } from '../blueprint/compute.js';
import type { Model } from '../config/model.js';
import { renderTemplate } from './templates.js';

/** The EC2 user data template, relative to this module in both src/ and dist/. */
export const USER_DATA_TEMPLATE = new URL('../../templates/user-data.sh', import.meta.url);

/** The login user of Canonical's Ubuntu images. */
export const ADMIN_USER = 'ubuntu';

/** The values the user data template's `{{NAME}}` placeholders stand for. */
export function userDataValues(model: Pick<Model, 'project' | 'region'>): Record<string, string> {
  return { PROJECT: model.project, AWS_REGION: model.region, DATA_MOUNT, ADMIN_USER };
}

/** The instance's user data for this model: pure, given the template text. */
export const renderUserData = (template: string, model: Pick<Model, 'project' | 'region'>): string =>
  renderTemplate(template, userDataValues(model));

export async function loadUserDataTemplate(): Promise<string> {
  return readFile(USER_DATA_TEMPLATE, 'utf8');
}
