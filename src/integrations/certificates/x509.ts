/**
 * X.509 for partner certificates: a self-signed certificate for a new RSA key (the key from
 * Node's crypto, the certificate built by @peculiar/x509 on Node's WebCrypto), and the checks of
 * an imported pair (Node's own X509Certificate). Entra only needs the public certificate; the
 * private key never leaves the service. docs/decisions/008 says why this library.
 */
import type * as X509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { AppError, type FieldIssue } from '../../domain/errors';
import type { CertificateAuthority } from '../../domain/partners/certificate-authority.port';
import type { CertificateFacts, CertificateImport } from '../../domain/partners/certificate.record';

let loaded: typeof X509 | undefined;

/**
 * @peculiar/x509, loaded when a certificate is first made: it took 160 ms of every start-up
 * (with its ASN.1 schemas), for an action an IT team takes once a year.
 */
function peculiar(): typeof X509 {
  if (loaded === undefined) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    require('reflect-metadata');
    loaded = require('@peculiar/x509') as typeof X509;
    /* eslint-enable @typescript-eslint/no-require-imports */
    loaded.cryptoProvider.set(webcrypto as unknown as Parameters<typeof X509.cryptoProvider.set>[0]);
  }
  return loaded;
}

const MIN_RSA_BITS = 2048;
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]) };

function pem(label: string, der: ArrayBuffer | Buffer): string {
  const base64 = Buffer.from(der as ArrayBuffer).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function factsOf(cert: X509Certificate): Omit<CertificateFacts, 'privateKeyPem'> {
  return {
    thumbprint: cert.fingerprint.replace(/:/g, '').toUpperCase(),
    thumbprintSha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    subject: cert.subject.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    certificatePem: cert.toString(),
  };
}

function invalid(errors: FieldIssue[]): AppError {
  return new AppError('VALIDATION_FAILED', {
    detail: `The certificate cannot be used: ${errors.map((e) => e.message).join(' ')}`,
    errors,
  });
}

export const x509Certificates: CertificateAuthority = {
  async generate(commonName: string, validityDays: number, now: Date): Promise<CertificateFacts> {
    const x509 = peculiar();
    const keys = await webcrypto.subtle.generateKey({ ...RSA, modulusLength: MIN_RSA_BITS }, true, [
      'sign',
      'verify',
    ]);
    const serial = randomBytes(16);
    serial[0] = (serial[0] ?? 0) & 0x7f; // positive, as RFC 5280 requires
    const notBefore = new Date(now.getTime() - 5 * 60_000); // some clock skew
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial.toString('hex'),
      name: `CN=${commonName}`,
      notBefore,
      notAfter: new Date(now.getTime() + validityDays * 86_400_000),
      signingAlgorithm: RSA,
      keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ],
    });
    const privateKeyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    return { ...factsOf(new X509Certificate(cert.toString('pem'))), privateKeyPem };
  },

  inspect(input: CertificateImport, now: Date): CertificateFacts {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(input.certificatePem);
    } catch {
      throw invalid([
        {
          field: 'body.certificatePem',
          message: 'certificatePem cannot be read as a PEM certificate (-----BEGIN CERTIFICATE-----).',
        },
      ]);
    }
    let key: KeyObject;
    try {
      key = createPrivateKey({
        key: input.privateKeyPem,
        format: 'pem',
        ...(input.privateKeyPassphrase !== undefined ? { passphrase: input.privateKeyPassphrase } : {}),
      });
    } catch {
      throw invalid([
        {
          field: 'body.privateKeyPem',
          message:
            input.privateKeyPassphrase === undefined
              ? 'privateKeyPem cannot be read as a PEM private key (PKCS#8; an encrypted one needs privateKeyPassphrase).'
              : 'privateKeyPem cannot be read with this privateKeyPassphrase.',
        },
      ]);
    }
    const errors: FieldIssue[] = [];
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
      errors.push({
        field: 'body.privateKeyPem',
        message: `The key must be RSA of at least ${MIN_RSA_BITS} bits (it is ${key.asymmetricKeyType ?? 'unknown'}${bits ? ` of ${bits} bits` : ''}).`,
      });
    } else if (!cert.checkPrivateKey(key)) {
      errors.push({
        field: 'body.privateKeyPem',
        message: 'privateKeyPem is not the private key of this certificate.',
      });
    }
    if (new Date(cert.validTo).getTime() <= now.getTime()) {
      errors.push({
        field: 'body.certificatePem',
        message: `The certificate expired on ${new Date(cert.validTo).toISOString()}.`,
      });
    }
    if (errors.length > 0) throw invalid(errors);
    return { ...factsOf(cert), privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
  },
};
