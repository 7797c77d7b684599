/** A setup link: its token only as a SHA-256 hash, for one partner, until it expires. */
export interface SetupLinkRecord {
  id: string;
  partnerId: string;
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
}
