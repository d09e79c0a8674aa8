/** One file of the seed config repo that `claude-env init` writes. */
export interface ScaffoldFile {
  /** Repo-relative POSIX path, no leading `./`. */
  path: string;
  content: string;
  /** 0o755 for scripts; absent means 0o644. */
  mode?: number;
}
