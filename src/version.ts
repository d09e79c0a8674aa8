/** The version of claude-env, shown by --version and in SARIF reports. */
export const VERSION = '0.1.0';
