/** What the domain needs to make or check a certificate (integrations/certificates/x509.ts). */
import type { CertificateFacts, CertificateImport } from './certificate.record';

export interface CertificateAuthority {
  /** A new RSA key (2048 bits) and a self-signed certificate for it. */
  generate(commonName: string, validityDays: number, now: Date): Promise<CertificateFacts>;
  /** Reads an imported pair; VALIDATION_FAILED naming the field for every reason it cannot serve. */
  inspect(input: CertificateImport, now: Date): CertificateFacts;
}
