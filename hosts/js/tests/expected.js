// The sha256 of the component the Rust host embeds: $RUNTIME_STORE_SHA256, else the CLI's.
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from './support.js';

export const SHA256_ENV = 'RUNTIME_STORE_SHA256';

export function embeddedSha256() {
  const configured = process.env[SHA256_ENV];
  if (configured) return configured.trim().toLowerCase();
  const inspected = spawnSync('cargo', ['run', '-q', '-p', 'runtime-store-cli', '--', 'inspect', '--json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 1_200_000,
  });
  if (inspected.status !== 0) {
    throw new Error(
      `\`runtime-store inspect --json\` failed (${inspected.status ?? inspected.error}); ` +
        `set ${SHA256_ENV} to skip the build:\n${inspected.stderr}`,
    );
  }
  let sha256;
  try {
    ({ sha256 } = JSON.parse(inspected.stdout));
  } catch (error) {
    throw new Error(`\`runtime-store inspect --json\` printed no JSON: ${JSON.stringify(inspected.stdout)}`, { cause: error });
  }
  if (typeof sha256 !== 'string') throw new Error(`\`runtime-store inspect --json\` printed no sha256: ${inspected.stdout}`);
  return sha256;
}
