/**
 * Repo-wide documents that are not merged: claude-env.yml (repo settings),
 * access.yml and teams/<team>/members.yml. Every object is closed, so a typo
 * is an error instead of a setting that silently does nothing.
 */
import { HARNESSES, TRUST_LAYERS } from '../vocabulary.js';
import {
  arrayOf,
  boolean,
  closedObject,
  enumOf,
  FILE_NAME,
  mapOf,
  matching,
  nonEmptyString,
  nonNegativeInteger,
  string,
  stringList,
  withMessages,
  type Schema,
} from './common.js';

const harnessList: Schema = { type: 'array', items: { enum: [...HARNESSES] }, uniqueItems: true };
const fileName = matching(FILE_NAME.pattern, 'must be a name of letters, digits, ".", "-" and "_"');
const USER_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]*$';
const userName = matching(USER_NAME_PATTERN, 'must be lower case letters, digits, ".", "-" and "_", starting with a letter or digit');

const mergeStrategy = withMessages(
  {
    anyOf: [enumOf(['replace', 'append', 'unique']), closedObject({ 'merge-by-key': nonEmptyString }, ['merge-by-key'])],
  },
  { anyOf: 'must be replace, append, unique or {merge-by-key: <field>}' },
);

const severityRule = closedObject(
  { path: nonEmptyString, severity: enumOf(['critical', 'high', 'medium', 'low']), category: nonEmptyString },
  ['path', 'severity'],
);

// require_signed: approvals count only for a change signed with a key of access.yml signing_keys (its signer is its author).
const approval = closedObject({ roles: stringList, count: nonNegativeInteger, require_signed: boolean }, ['count']);

const rolloutStrategy = closedObject(
  {
    strategy: enumOf(['immediate', 'staged', 'canary', 'blue-green']),
    steps: arrayOf({ type: 'integer', minimum: 1, maximum: 100 }),
    pause: matching('^([0-9]+(ms|s|m|h|d))+$', 'must be a duration such as 30s, 10m or 1h30m'),
    max_failure_rate: { type: 'number', minimum: 0, maximum: 1 },
    approval,
  },
  ['strategy'],
);

const cron = matching(
  '^(@(yearly|annually|monthly|weekly|daily|hourly)|\\S+(\\s+\\S+){4})$',
  'must be a cron expression of 5 fields, such as "0 8-18/2 * * 1-5"',
);

/** The events of the controller (SPEC "Events and notifications"); a channel's `on` lists some of them, or "*". */
export const NOTIFICATION_EVENTS = [
  'sync.succeeded',
  'sync.failed',
  'rollout.started',
  'rollout.step',
  'rollout.awaiting-approval',
  'rollout.approved',
  'rollout.paused',
  'rollout.failed',
  'rollout.rolled-back',
  'rollout.completed',
  'drift.critical',
  'drift.high',
  'mcp.down',
  'machine.enrolled',
  'machine.stale',
  'fleet.frozen',
  'fleet.unfrozen',
  'sync.held',
  'backup.failed',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
export const NOTIFICATION_TYPES = ['slack', 'teams', 'webhook', 'email'] as const;

// A `!secret`/`!encrypted` value reaches the schema as its description (`«secret:env:NAME»`).
const secretValue = matching('^«secret:[^»]+»$', 'must be a !secret or !encrypted value; a key or a URL with a token never goes into the repo in clear');
const emailAddress = matching('^[^@\\s<>]+@[^@\\s<>]+$', 'must be an email address such as platform@example.com');
const onlyFor = (what: string): Schema => withMessages({ not: {} }, { not: `is only for ${what}` });
const whenType = (types: readonly string[], then: Schema): Schema => ({
  if: { properties: { type: { enum: [...types] } }, required: ['type'] },
  then,
});

const notification = {
  ...closedObject(
    {
      type: enumOf(NOTIFICATION_TYPES),
      // slack, teams, webhook: where to post; url_secret when the URL holds a token (Slack, Teams always do).
      url: matching('^https?://\\S+$', 'must be an http:// or https:// URL'),
      url_secret: secretValue,
      // webhook: the HMAC-SHA256 key of X-Signature, and extra request headers (values may be secrets).
      secret: secretValue,
      headers: mapOf(nonEmptyString, {
        pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
        message: 'invalid header name %s: use letters, digits and "-"',
      }),
      // email: an SMTP URL with its password (smtp_secret), or one without (smtp).
      smtp_secret: secretValue,
      smtp: matching(
        '^smtps?://([^:@/\\s]+@)?[^:@/\\s]+(:[0-9]+)?/?(\\?\\S*)?$',
        'must be an smtp:// or smtps:// URL without a password (one with a password goes in smtp_secret)',
      ),
      from: emailAddress,
      to: { type: 'array', items: emailAddress, minItems: 1, uniqueItems: true },
      subject_prefix: string,
      on: {
        type: 'array',
        items: withMessages(enumOf([...NOTIFICATION_EVENTS, '*']), {
          enum: `must be "*" or an event: ${NOTIFICATION_EVENTS.join(', ')}`,
        }),
        minItems: 1,
        uniqueItems: true,
      },
    },
    ['type', 'on'],
  ),
  allOf: [
    whenType(
      ['slack', 'teams', 'webhook'],
      withMessages(
        {
          oneOf: [{ required: ['url'] }, { required: ['url_secret'] }],
          properties: { smtp_secret: onlyFor('type: email'), smtp: onlyFor('type: email'), from: onlyFor('type: email'), to: onlyFor('type: email'), subject_prefix: onlyFor('type: email') },
        },
        { oneOf: 'needs exactly one of: url, url_secret' },
      ),
    ),
    whenType(['slack', 'teams'], { properties: { secret: onlyFor('type: webhook'), headers: onlyFor('type: webhook') } }),
    whenType(
      ['email'],
      withMessages(
        {
          oneOf: [{ required: ['smtp_secret'] }, { required: ['smtp'] }],
          required: ['from', 'to'],
          properties: { url: onlyFor('slack, teams and webhook'), url_secret: onlyFor('slack, teams and webhook'), secret: onlyFor('type: webhook'), headers: onlyFor('type: webhook') },
        },
        { oneOf: 'needs exactly one of: smtp_secret, smtp' },
      ),
    ),
  ],
};

export const repoSettingsSchema: Schema = closedObject(
  {
    version: { const: 1 },
    environments: { type: 'array', items: fileName, minItems: 1, uniqueItems: true },
    merge: closedObject({ arrays: { type: 'object', additionalProperties: mergeStrategy } }),
    drift: closedObject({ severity: arrayOf(severityRule) }),
    secrets: closedObject({
      // The only layers whose `!secret cmd:` values may run on a developer's machine (default: base, environments).
      commands_from: { type: 'array', items: { enum: [...TRUST_LAYERS] }, uniqueItems: true },
      age: closedObject({
        recipients: arrayOf(matching('^age1[0-9a-z]+$', 'must be an age recipient (age1…)')),
      }),
      // Plain-text secrets that are known and accepted (test fixtures, public sample keys), by the
      // fingerprint that `validate` shows with each secret-detected finding.
      allow: arrayOf(
        closedObject(
          {
            fingerprint: matching('^sha256:[0-9a-f]{16}$', 'must be a fingerprint as validate prints it: sha256: and 16 hex digits'),
            reason: nonEmptyString,
          },
          ['fingerprint', 'reason'],
        ),
      ),
    }),
    rollout: mapOf(rolloutStrategy, FILE_NAME),
    schedules: closedObject({ drift: arrayOf(cron) }),
    notifications: arrayOf(notification),
    // The coding agents whose files apply writes besides Claude Code's: one list for every environment, or a list per environment.
    harnesses: withMessages({ anyOf: [harnessList, mapOf(harnessList, FILE_NAME)] }, { anyOf: `must be a list of ${HARNESSES.join(', ')}, or a map from environment to such a list` }),
  },
  ['version'],
);

const grant = matching('^(\\*|.+:(read|write))$', 'must be "<glob>:read", "<glob>:write" or "*"');
const roleMember = matching(
  '^(team:[A-Za-z0-9][A-Za-z0-9._-]*|[a-z0-9][a-z0-9._-]*)$',
  'must be a user name or team:<team>',
);

const githubName = matching('^[A-Za-z0-9][A-Za-z0-9-]*$', 'must be a GitHub organisation or login name');
const sshKey = matching(
  '^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/=]+( [^\\r\\n]*)?$',
  'must be an SSH public key such as "ssh-ed25519 AAAA… alice@laptop"',
);

export const accessSchema: Schema = closedObject(
  {
    roles: mapOf(
      closedObject(
        {
          description: string,
          permissions: arrayOf(grant),
          members: arrayOf(roleMember),
          approval_power: stringList,
          auto_approvals: stringList,
        },
        ['permissions'],
      ),
      FILE_NAME,
    ),
    change_classes: mapOf(
      closedObject({ paths: stringList, keys: stringList, approvals: approval }, ['approvals']),
      FILE_NAME,
    ),
    // `claude-env access codeowners`: team:<t> → @<org>/<t>; users → @<login> (default: the user name).
    codeowners: closedObject({
      org: githubName,
      logins: { type: 'object', propertyNames: { pattern: USER_NAME_PATTERN }, additionalProperties: githubName },
    }),
    // `claude-env history --verify-signatures`: user → SSH public key(s) whose commit signatures count as theirs.
    signing_keys: {
      type: 'object',
      propertyNames: { pattern: USER_NAME_PATTERN },
      additionalProperties: withMessages({ anyOf: [sshKey, { type: 'array', items: sshKey, minItems: 1 }] }, { anyOf: 'must be an SSH public key or a list of them' }),
    },
  },
  ['roles'],
);

export const membersSchema: Schema = arrayOf(
  closedObject(
    {
      user: userName,
      role: nonEmptyString,
      projects: arrayOf(fileName),
      name: string,
      email: { type: 'string', format: 'email' },
    },
    ['user', 'role'],
  ),
);
