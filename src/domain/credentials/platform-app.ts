/**
 * TARGETconnect's own multi-tenant application (API.md "The platform app"): its client id and
 * the one credential it proves itself with. With a federated token file no secret exists at all:
 * the file's JWT (rewritten by the platform before it expires) is read at every token request.
 */
export type PlatformCredential =
  | { type: 'federated'; tokenFile: string }
  | {
      type: 'certificate';
      thumbprint: string;
      thumbprintSha256: string;
      privateKeyPem: string;
      notAfter: string;
    }
  | { type: 'clientSecret'; secret: string };

export interface PlatformApp {
  appId: string;
  credential: PlatformCredential;
}
