/** A partner's API key as stored: never the key itself. */
export interface ApiKeyRecord {
  id: string;
  partnerId: string;
  /** Hex SHA-256 of the whole key; the key itself is never stored. */
  keyHash: string;
  /** The first characters of the key, so that people can tell keys apart in listings. */
  keyPrefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}
