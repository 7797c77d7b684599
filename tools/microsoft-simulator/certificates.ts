/**
 * A throw-away certificate authority and server certificate, made when a simulator starts, so that
 * clients verify TLS for real (the CA goes into `https.Agent({ ca })` or NODE_EXTRA_CA_CERTS).
 */
import { generateKeyPair, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateRsaKeyPair = promisify(generateKeyPair);

export interface SimulatorCertificates {
  caCertPem: string;
  /** The server's leaf certificate followed by the CA, as TLS should send them. */
  certChainPem: string;
  keyPem: string;
}

async function newRsaKey(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const { privateKey, publicKey } = await generateRsaKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function serialNumber(): string {
  // Positive (high bit clear) and 16 bytes, as CAs issue them.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/**
 * Signs with Node's crypto rather than forge's JavaScript RSA: on Node 21 and later, where
 * `navigator` exists, forge's big-integer code takes a path that made each signature take about a
 * second. forge still builds the certificate; it hands the to-be-signed bytes to `md.update`.
 */
function signWithNode(cert: forge.pki.Certificate, privateKeyPem: string): void {
  const md = forge.md.sha256.create();
  const tbs: string[] = [];
  const update = md.update.bind(md);
  md.update = (bytes: string, encoding?: forge.Encoding) => {
    tbs.push(bytes);
    return update(bytes, encoding);
  };
  const key = {
    sign: () => sign('sha256', Buffer.from(tbs.join(''), 'binary'), privateKeyPem).toString('binary'),
  };
  cert.sign(key as unknown as forge.pki.rsa.PrivateKey, md);
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + days * 24 * 60 * 60 * 1000);
}

/**
 * Makes a CA (basicConstraints CA:true) and a leaf for 127.0.0.1, ::1, localhost and any extra
 * names, signed by that CA with SHA-256.
 */
export async function createCertificates(extraNames: string[] = []): Promise<SimulatorCertificates> {
  const [caKeys, leafKeys] = await Promise.all([newRsaKey(), newRsaKey()]);
  const caPublic = forge.pki.publicKeyFromPem(caKeys.publicKeyPem);
  const leafPublic = forge.pki.publicKeyFromPem(leafKeys.publicKeyPem);

  const caSubject = [
    { name: 'commonName', value: 'teams-meetings Microsoft simulator CA' },
    { name: 'organizationName', value: 'teams-meetings (test only)' },
  ];
  const ca = forge.pki.createCertificate();
  ca.publicKey = caPublic;
  ca.serialNumber = serialNumber();
  validity(ca, 365);
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signWithNode(ca, caKeys.privateKeyPem);

  const names = ['127.0.0.1', '::1', 'localhost', ...extraNames].filter(
    (name, index, all) => name !== '' && all.indexOf(name) === index,
  );
  const altNames = names.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name }));

  const leaf = forge.pki.createCertificate();
  leaf.publicKey = leafPublic;
  leaf.serialNumber = serialNumber();
  validity(leaf, 90);
  leaf.setSubject([{ name: 'commonName', value: 'localhost' }]);
  leaf.setIssuer(caSubject);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes(),
    },
  ]);
  signWithNode(leaf, caKeys.privateKeyPem);

  const caCertPem = forge.pki.certificateToPem(ca);
  return {
    caCertPem,
    certChainPem: forge.pki.certificateToPem(leaf) + caCertPem,
    keyPem: leafKeys.privateKeyPem,
  };
}
