import type { Model } from '../config/model.js';
import type { PhaseName } from '../phase-names.js';
import { containersBlueprint, ec2Blueprint, storageBlueprint } from './compute.js';
import { albBlueprint, certBlueprint, dnsBlueprint, httpsBlueprint } from './edge.js';
import { iamBlueprint, secretsBlueprint } from './identity.js';
import { monitoringBlueprint } from './monitoring.js';
import { sgBlueprint, vpcBlueprint } from './network.js';
import { cognitoBlueprint } from './sign-in.js';
import { scheduleBlueprint } from './schedule.js';
import type { PlannedResource } from './types.js';
import { wakeBlueprint } from './wake.js';

const none = (): PlannedResource[] => [];

/** What each phase creates, from the config alone. */
export const blueprints: Record<PhaseName, (model: Model) => PlannedResource[]> = {
  validate: none,
  vpc: vpcBlueprint,
  sg: sgBlueprint,
  iam: iamBlueprint,
  secrets: secretsBlueprint,
  ec2: ec2Blueprint,
  storage: storageBlueprint,
  containers: containersBlueprint,
  cert: certBlueprint,
  cognito: cognitoBlueprint,
  alb: albBlueprint,
  https: httpsBlueprint,
  gate: none,
  dns: dnsBlueprint,
  monitoring: monitoringBlueprint,
  schedule: scheduleBlueprint,
  wake: wakeBlueprint,
  test: none,
  teardown: none,
};
