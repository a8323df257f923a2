// tls-cert-path holds the keystore and the pinned certificate: a folder only the agent's user can
// enter (0700), files only it can read (0600), each written whole or not at all.
import { chmodSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";

export class CertPathError extends Error {}

/** Creates the folder 0700, or tightens one of ours; refuses a folder others may write to or own. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = statSync(path);
  if (!st.isDirectory()) throw new CertPathError(`tls-cert-path ${path} is not a folder`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new CertPathError(`tls-cert-path ${path} belongs to another user (uid ${st.uid}): use a folder of the agent's own user`);
  // a shared folder such as /tmp: tightening it would break the host, so refuse it instead
  if (st.mode & 0o002 || st.mode & 0o1000) throw new CertPathError(`tls-cert-path ${path} is a shared folder (mode ${(st.mode & 0o7777).toString(8)}): use a private folder of its own`);
  if ((st.mode & 0o777) !== 0o700) chmodSync(path, 0o700);
}

/** Writes a file readable by the agent's user only, through a temporary file and a rename. */
export function writePrivateFile(file: string, data: Buffer | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true }); // a leftover of a crash keeps its old mode: start afresh
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600); // whatever the umask said
  renameSync(tmp, file); // same folder: atomic
}
