/**
 * Fake secrets of the kinds secretlint's recommended preset detects, put
 * together at run time so that no file of this repository holds one (GitHub
 * push protection would refuse the push).
 */
export const FAKE = {
  awsSecret: ['AWS_SECRET_ACCESS_KEY', ['kJ7pZ2xQ9mVb4nR8', 'tL1wY6cF3hD5sG0a', 'EuKiOoPq'].join('')] as const,
  github: ['ghp_', 'Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVc'].join(''),
  slack: ['https://hooks.slack.com/services/', 'T0A1B2C3D/', 'B4E5F6G7H/', 'aB3dE5fG7hJ9kL1mN3pQ5rS7'].join(''),
  anthropic: ['sk-ant-', 'api03-', 'Qm9yZ2V0LW1lLW5vdC1hLXJlYWwta2V5LWZvci10ZXN0cy1vbmx5LWFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1', 'AA'].join(''),
  /** A PEM block whose body looks like DER (starts with MI) and is long enough to count as a key. */
  privateKey: ['-----BEGIN RSA ', 'PRIVATE KEY-----\n', 'MIIEowIBAAKCAQEA', 'q'.repeat(48), '\n', 'Zm9vYmFy'.repeat(12), '\n-----END RSA ', 'PRIVATE KEY-----'].join(''),
};
