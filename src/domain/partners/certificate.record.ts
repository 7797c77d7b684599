/**
 * Certificate credentials of a partner (API: "Certificates"): what the service keeps of each, and
 * what the domain needs to make or check one (implemented in integrations/certificates/x509.ts).
 */

/** A certificate's public facts, and its private key in clear (PKCS#8 PEM) until sealed. */
export interface CertificateFacts {
  /** Upper-case hex SHA-1 of the DER: the portal's Thumbprint. */
  thumbprint: string;
  /** Lower-case hex SHA-256 of the DER (what MSAL signs with, `x5t#S256`). */
  thumbprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  certificatePem: string;
  privateKeyPem: string;
}

export interface CertificateImport {
  certificatePem: string;
  privateKeyPem: string;
  privateKeyPassphrase?: string | undefined;
}

/** As stored: the private key only as ciphertext, bound to its partner and certificate. */
export interface CertificateRecord {
  id: string;
  partnerId: string;
  thumbprint: string;
  thumbprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  source: 'generated' | 'imported';
  certificatePem: string;
  privateKeyCiphertext: string;
  createdAt: string;
}

/** As the API shows it: never the key. */
export type CertificateView = Omit<CertificateRecord, 'partnerId' | 'privateKeyCiphertext'>;

export function toCertificateView(record: CertificateRecord): CertificateView {
  const { partnerId: _p, privateKeyCiphertext: _k, ...view } = record;
  return view;
}

/** Whether a certificate can sign now. */
export function isValidAt(record: Pick<CertificateRecord, 'notBefore' | 'notAfter'>, at: Date): boolean {
  const t = at.getTime();
  return Date.parse(record.notBefore) <= t && t < Date.parse(record.notAfter);
}
