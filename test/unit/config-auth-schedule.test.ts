import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/model.js';
import { parseDays } from '../../src/config/schedule.js';
import { parseWith, problemsWith } from '../helpers/config.js';

const parse = parseWith;
const problems = problemsWith;

const oidc = { issuer: 'https://corp.okta.com', clientId: 'abc', clientSecret: { env: 'OIDC_SECRET' } };

describe('auth config', () => {
  it('keeps the password login by default', () => {
    const c = parse({});
    expect(c.auth.provider).toBe('password');
    expect(c.auth.password).toBe(true);
  });

  it('binds each developer to the identity given in their entry', () => {
    const c = parse({
      auth: { provider: 'oidc', oidc },
      developers: [
        { name: 'alice', email: 'alice@corp.example' },
        { name: 'bob', subject: '00u1bob' },
      ],
    });
    const [alice, bob] = buildModel(c).developers;
    expect(alice).toMatchObject({ name: 'alice', email: 'alice@corp.example' });
    expect(bob).toMatchObject({ name: 'bob', subject: '00u1bob' });
    expect(bob.email).toBeUndefined();
  });

  it('names the developers without an identity when a provider is set', () => {
    const message = problems({
      auth: { provider: 'oidc', oidc },
      developers: ['alice', { name: 'bob', email: 'bob@corp.example' }, { name: 'carol' }],
    });
    expect(message).toContain('developers[0 (alice), 2 (carol)]: no identity');
    expect(message).not.toContain('bob');
  });

  it('refuses a count of developers with a provider, saying to list objects', () => {
    expect(problems({ auth: { provider: 'cognito' }, developers: 3 })).toMatch(/developers: 3 is a count.*objects/);
  });

  it('refuses turning the password off without a provider', () => {
    expect(problems({ auth: { password: false } })).toMatch(/auth\.password: false needs an identity provider/);
  });

  it('asks for the oidc block with provider oidc', () => {
    expect(problems({ auth: { provider: 'oidc' }, developers: [{ name: 'a', email: 'a@b.co' }] })).toMatch(
      /auth\.oidc: is required/,
    );
  });

  it('refuses a client secret written into the config', () => {
    expect(problems({ auth: { provider: 'oidc', oidc: { ...oidc, clientSecret: 'hunter2' } } })).toMatch(
      /auth\.oidc\.clientSecret.*\{"env"/,
    );
  });

  it('needs an email for each Cognito user', () => {
    expect(problems({ auth: { provider: 'cognito' }, developers: [{ name: 'a', subject: 'x' }] })).toMatch(
      /"cognito" creates each user from their "email"/,
    );
  });
});

describe('schedule config', () => {
  it('is off unless given', () => {
    expect(parse({}).schedule).toBeUndefined();
  });

  it('accepts office hours in a real zone', () => {
    const c = parse({ schedule: { timezone: 'Asia/Bangkok', start: '08:00', stop: '20:00' } });
    expect(c.schedule).toEqual({ timezone: 'Asia/Bangkok', days: 'MON-FRI', start: '08:00', stop: '20:00' });
  });

  it.each([
    [{ timezone: 'Mars/Olympus', start: '08:00', stop: '20:00' }, /schedule\.timezone.*IANA/],
    [{ start: '8am', stop: '20:00' }, /schedule\.start.*08:00/],
    [{ start: '08:00' }, /schedule\.stop.*required/],
    [{ start: '08:00', stop: '08:00' }, /schedule\.stop.*differ/],
    [{ days: 'FRI-MON', start: '08:00', stop: '20:00' }, /schedule\.days/],
    [{ idleStopMinutes: 5 }, /schedule\.idleStopMinutes.*at least 15/],
  ])('refuses %j', (schedule, expected) => {
    expect(problems({ schedule })).toMatch(expected);
  });

  it('reads day lists and ranges', () => {
    expect(parseDays('MON-FRI')).toEqual([1, 2, 3, 4, 5]);
    expect(parseDays('MON,WED,FRI')).toEqual([1, 3, 5]);
    expect(parseDays('SAT,SUN')).toEqual([0, 6]);
    expect(parseDays('MON-')).toBeUndefined();
  });
});
