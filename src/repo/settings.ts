/** Settings of claude-env.yml that a command reads beyond what the Repo parses itself. */
import type { RepoSettings } from './repo.js';

/** The age recipients of `secrets.age.recipients`: whom `secret encrypt` encrypts to. */
export function ageRecipients(settings: RepoSettings): string[] {
  const secrets = settings.raw['secrets'] as { age?: { recipients?: unknown } } | undefined;
  const r = secrets?.age?.recipients;
  return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
}
