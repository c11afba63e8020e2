/**
 * Synth-time checks of values known before deploy. Tokens are skipped: the handler reports those at deploy time.
 */

/**
 * Why a Lightsail bucket name is invalid, or undefined when it is valid. Rules from Lightsail's API pattern and
 * its user guide: 3-54 characters, lowercase letters, digits and hyphens, starting and ending with a letter or
 * digit, no two hyphens in a row, and none of the names S3 reserves.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 54) return `it has ${name.length} characters; Lightsail allows 3 to 54`;
  if (!/^[a-z0-9-]+$/.test(name)) return 'only lowercase letters, digits and hyphens are allowed';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'it must start and end with a lowercase letter or a digit';
  if (name.includes('--')) return 'it must not contain two hyphens in a row';
  for (const prefix of ['amzn-s3-demo-', 'sthree-']) {
    if (name.startsWith(prefix)) return `the prefix "${prefix}" is reserved`;
  }
  if (name.endsWith('-s3alias')) return 'the suffix "-s3alias" is reserved';
  return undefined;
}

/** Why a serial is invalid, or undefined. */
export function serialProblem(serial: number): string | undefined {
  if (!Number.isInteger(serial) || serial < 0) return 'it must be a whole number, 0 or more';
  return undefined;
}
