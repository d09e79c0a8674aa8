/**
 * The files of `files/`, embedded by build.mjs into `embedded.js` (written to
 * dist/src/repo/scaffold/ and into the bundle): the built CLI reads no file
 * of the seed repo at run time. There is no source of this module in src/;
 * it is generated at every build from the files themselves.
 */
export interface EmbeddedFile {
  /** Repo-relative POSIX path under files/. */
  readonly path: string;
  /** The file's text (UTF-8), byte for byte. */
  readonly content: string;
  /** 0o755 when the file is executable in the source tree, else 0o644 (what git records). */
  readonly mode: 0o644 | 0o755;
}

/** Every file, sorted by path (code-unit order). */
export declare const EMBEDDED: readonly EmbeddedFile[];
