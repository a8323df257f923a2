// What a cluster's CA has issued and what it has invalidated: CAPF records each certificate, the
// CTIManager's TLS port revokes one used by two connections at once and refuses it from then on.

export interface Revocation {
  instanceId: string;
  reason: string;
  at: Date;
}

export class CertificateRegistry {
  /** Serial (lower-case hex) -> instance ID, of every client certificate issued. */
  readonly issued = new Map<string, string>();
  /** Serial (lower-case hex) -> why and when it was invalidated. */
  readonly revoked = new Map<string, Revocation>();

  record(serial: string, instanceId: string): void {
    this.issued.set(serial.toLowerCase(), instanceId);
  }

  revoke(serial: string, instanceId: string, reason: string): void {
    const key = serial.toLowerCase();
    if (!this.revoked.has(key)) this.revoked.set(key, { instanceId, reason, at: new Date() });
  }

  revocation(serial: string): Revocation | undefined {
    return this.revoked.get(serial.toLowerCase());
  }
}
