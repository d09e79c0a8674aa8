/**
 * The config repo read as data: what the source refused to read (symbolic
 * links of the working tree or of a git tree, git tree entries named `..`,
 * `.`, `.git`, empty, with a control character, or listed twice), and the
 * `files/` overlay files whose paths cannot be written under `.claude/`.
 * Persona and workflow names that cannot be paths are findings of their
 * documents, made when they load (repo/names.ts), and reported with the
 * other document findings. Render and apply refuse any target whose chain
 * needs one of these (repo.ts `checkRefused`, `chainErrors`).
 *
 * Costs nothing the listing did not: the working tree's links are known from
 * readdir's entry types, a git tree's from its one `ls-tree`.
 */
import { filePlaceOf } from '../../repo/layout.js';
import { FILES_IN_DOCUMENT, UNSAFE_PATH, overlayFinding } from '../../repo/names.js';
import { refusedFinding } from '../../repo/repo.js';
import type { Rule } from '../rule.js';

export const repoEntriesRule: Rule = {
  findings: {
    'repo-symlink': 'a symbolic link in the config repo (working tree or git tree, mode 120000): never followed nor read',
    'repo-path': 'a git tree entry named "..", "." or ".git", empty, with a control character, or listed twice: never read, nor anything under it',
    [UNSAFE_PATH]: 'a persona or workflow name, or a files/ overlay path, that cannot become a file name under .claude/',
    [FILES_IN_DOCUMENT]: 'a files key in a YAML document: files/ is a folder of the layer, a document cannot name files to copy',
  },
  description: 'symbolic links and unsafe git tree entries in the config repo, and names that cannot become paths under .claude/',
  check(ctx) {
    // Listing the whole repo first: a working tree learns its links as it is walked.
    const files = ctx.repo.files();
    for (const e of ctx.repo.source.refused?.() ?? []) ctx.report(refusedFinding(e));
    for (const p of files) {
      if (!p.includes('files/')) continue;
      const place = filePlaceOf(p);
      const f = place && overlayFinding(p, place.target);
      if (f) ctx.report(f);
    }
  },
};
