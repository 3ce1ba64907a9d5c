import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import { deleteUserPool, describeUserPool, listUserPools, poolTags } from '../../aws/cognito/pool.js';
import { TAG, tagValue } from '../../config/tags.js';
import { mayBeNamedFor, sweeper, type Sweeper } from './types.js';

// ---------------------------------------------------------------------------------------------
// Cognito: user pools carry tags (read with DescribeUserPool, as ListUserPools returns none); the
// pool's domain, app clients and users have none and go with it.

const userPools = sweeper<UserPoolType>({
  name: 'user-pools',
  // The load balancer's rules name the pool: they go first.
  needs: ['load-balancers'],
  list: async (ctx) => {
    const cognito = ctx.aws.cognito;
    const candidates = (await listUserPools(cognito)).filter((u) => mayBeNamedFor(ctx.model.project, u.Name));
    const found: UserPoolType[] = [];
    for (const c of candidates) {
      const pool = await describeUserPool(cognito, c.Id!);
      if (pool && tagValue(poolTags(pool), TAG.project) === ctx.model.project) found.push(pool);
    }
    return found.map((u) => ({ kind: 'user pool', id: u.Id!, label: u.Name, resource: u }));
  },
  remove: (ctx, f) => deleteUserPool(ctx.aws.cognito, f.id, f.resource.UserPoolTags ?? {}, (m) => ctx.report.step(m)),
});

export const COGNITO_SWEEPERS: Sweeper[] = [userPools];
