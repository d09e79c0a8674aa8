/**
 * access.yml as data: roles (grants, members, approval powers, automatic
 * approvals), change classes in rank order (the first is the highest), the
 * CODEOWNERS mapping and the SSH signing keys of `history
 * --verify-signatures`. A policy that can't be read is a list of problems,
 * each at a key path of the document: access is never decided on a guess.
 */
import { compileGlob, GlobError, placeholdersOf } from './glob.js';

export type Permission = 'read' | 'write';

/** One entry of a role's `permissions`: `"<glob>:read|write"` or `"*"` (everything, write). */
export interface Grant {
  readonly text: string;
  readonly role: string;
  /** undefined for `*`. */
  readonly glob?: string;
  readonly permission: Permission;
  readonly placeholders: readonly string[];
}

export interface Role {
  readonly name: string;
  readonly grants: readonly Grant[];
  /** `team:<team>` or user names (access.yml `members`). */
  readonly members: readonly string[];
  /** Change classes this role may approve besides those whose `approvals.roles` name it. */
  readonly approvalPower: readonly string[];
  /** Change classes that need no approval when an author holding this role makes them. */
  readonly autoApprovals: readonly string[];
}

export interface ChangeClass {
  readonly name: string;
  /** 0 is the highest: the order of `change_classes`. */
  readonly rank: number;
  readonly paths: readonly string[];
  readonly keys: readonly string[];
  /** Roles that may approve; undefined: any member who holds a role. */
  readonly approvalRoles?: readonly string[];
  readonly approvalCount: number;
}

export interface CodeownersSettings {
  /** GitHub organisation: `team:<t>` becomes `@<org>/<t>`; without it a team is listed by its members. */
  readonly org?: string;
  /** members.yml user → GitHub login, where they differ. */
  readonly logins: Readonly<Record<string, string>>;
}

export interface AccessPolicy {
  readonly roles: ReadonlyMap<string, Role>;
  readonly classes: readonly ChangeClass[];
  readonly codeowners: CodeownersSettings;
  /** user → SSH public keys (`ssh-ed25519 AAAA…`) whose signatures count as theirs. */
  readonly signingKeys: Readonly<Record<string, readonly string[]>>;
}

export interface PolicyProblem {
  /** Key path into access.yml. */
  readonly at: readonly (string | number)[];
  readonly message: string;
}

/** The placeholders a grant may use. */
export const PLACEHOLDERS = ['their-team', 'assigned-projects'] as const;
const PROBE_VARS = Object.fromEntries(PLACEHOLDERS.map((p) => [p, ['x']]));

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parsePolicy(raw: unknown): { policy: AccessPolicy; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  const problem = (at: (string | number)[], message: string): void => {
    problems.push({ at, message });
  };
  const strings = (v: unknown, at: (string | number)[]): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      problem(at, 'must be a list of strings');
      return [];
    }
    return v.filter((s, i) => (typeof s === 'string' ? true : (problem([...at, i], 'must be a string'), false))) as string[];
  };
  const checkGlob = (glob: string, at: (string | number)[], vars: Record<string, string[]>): boolean => {
    try {
      compileGlob(glob, vars);
      return true;
    } catch (err) {
      if (!(err instanceof GlobError)) throw err;
      problem(at, err.message);
      return false;
    }
  };

  const doc = isObj(raw) ? raw : (problem([], 'must be a map with roles and change_classes'), {});
  const roles = new Map<string, Role>();
  const rolesRaw = doc['roles'];
  if (!isObj(rolesRaw)) problem(['roles'], 'must be a map of role name → role');
  else {
    for (const [name, r] of Object.entries(rolesRaw)) {
      if (!isObj(r)) {
        problem(['roles', name], 'must be a map with permissions');
        continue;
      }
      const grants: Grant[] = [];
      strings(r['permissions'], ['roles', name, 'permissions']).forEach((text, i) => {
        const at = ['roles', name, 'permissions', i];
        if (text === '*') return void grants.push({ text, role: name, permission: 'write', placeholders: [] });
        const m = /^(.+):(read|write)$/.exec(text);
        if (!m) return problem(at, `"${text}" must be "<glob>:read", "<glob>:write" or "*"`);
        if (!checkGlob(m[1]!, at, PROBE_VARS)) return;
        grants.push({ text, role: name, glob: m[1]!, permission: m[2] as Permission, placeholders: placeholdersOf(m[1]!) });
      });
      roles.set(name, {
        name,
        grants,
        members: strings(r['members'], ['roles', name, 'members']),
        approvalPower: strings(r['approval_power'], ['roles', name, 'approval_power']),
        autoApprovals: strings(r['auto_approvals'], ['roles', name, 'auto_approvals']),
      });
    }
  }

  const classes: ChangeClass[] = [];
  const classesRaw = doc['change_classes'];
  if (classesRaw !== undefined && !isObj(classesRaw)) problem(['change_classes'], 'must be a map of class name → class');
  else if (isObj(classesRaw)) {
    for (const [name, c] of Object.entries(classesRaw)) {
      if (!isObj(c)) {
        problem(['change_classes', name], 'must be a map with paths, keys and approvals');
        continue;
      }
      const paths = strings(c['paths'], ['change_classes', name, 'paths']).filter((g, i) => checkGlob(g, ['change_classes', name, 'paths', i], {}));
      const keys = strings(c['keys'], ['change_classes', name, 'keys']);
      const ap = c['approvals'];
      let count = 0;
      let approvalRoles: string[] | undefined;
      if (!isObj(ap)) problem(['change_classes', name, 'approvals'], 'must be a map with count (and roles)');
      else {
        if (typeof ap['count'] === 'number' && Number.isInteger(ap['count']) && ap['count'] >= 0) count = ap['count'];
        else problem(['change_classes', name, 'approvals', 'count'], 'must be a whole number, 0 or more');
        if (ap['roles'] !== undefined) approvalRoles = strings(ap['roles'], ['change_classes', name, 'approvals', 'roles']);
        for (const [i, r] of (approvalRoles ?? []).entries()) if (!roles.has(r)) problem(['change_classes', name, 'approvals', 'roles', i], `role "${r}" is not defined in roles`);
      }
      classes.push({ name, rank: classes.length, paths, keys, ...(approvalRoles ? { approvalRoles } : {}), approvalCount: count });
    }
  }
  for (const role of roles.values()) {
    for (const [i, c] of role.autoApprovals.entries()) if (!classes.some((k) => k.name === c)) problem(['roles', role.name, 'auto_approvals', i], `change class "${c}" is not defined in change_classes`);
  }

  const logins: Record<string, string> = {};
  let org: string | undefined;
  const co = doc['codeowners'];
  if (co !== undefined) {
    if (!isObj(co)) problem(['codeowners'], 'must be a map with org and logins');
    else {
      if (co['org'] !== undefined) {
        if (typeof co['org'] === 'string' && /^[A-Za-z0-9][A-Za-z0-9-]*$/.test(co['org'])) org = co['org'];
        else problem(['codeowners', 'org'], 'must be a GitHub organisation name');
      }
      if (co['logins'] !== undefined) {
        if (!isObj(co['logins'])) problem(['codeowners', 'logins'], 'must be a map of user → GitHub login');
        else
          for (const [u, l] of Object.entries(co['logins'])) {
            if (typeof l === 'string' && /^[A-Za-z0-9][A-Za-z0-9-]*$/.test(l)) logins[u] = l;
            else problem(['codeowners', 'logins', u], 'must be a GitHub login');
          }
      }
    }
  }

  const signingKeys: Record<string, string[]> = {};
  const sk = doc['signing_keys'];
  if (sk !== undefined) {
    if (!isObj(sk)) problem(['signing_keys'], 'must be a map of user → SSH public key(s)');
    else
      for (const [u, k] of Object.entries(sk)) {
        const list = typeof k === 'string' ? [k] : strings(k, ['signing_keys', u]);
        for (const [i, key] of list.entries()) {
          if (!/^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/.test(key.trim()) || /[\r\n]/.test(key.trim())) {
            problem(typeof k === 'string' ? ['signing_keys', u] : ['signing_keys', u, i], 'must be an SSH public key ("ssh-ed25519 AAAA…")');
          }
        }
        signingKeys[u] = list.map((s) => s.trim());
      }
  }

  return { policy: { roles, classes, codeowners: { ...(org ? { org } : {}), logins }, signingKeys }, problems };
}
