/**
 * The partner's last setup check, kept: who checked which advisers, when, and what it found, so
 * that the next person of the university's IT team sees it (and the advisers) without typing them
 * again.
 */
import type { Identity } from '../identity/identity';

export interface SetupCheckRecord<R = unknown> {
  partnerId: string;
  checkedAt: string;
  /** The advisers the check named, as TARGETconnect identifies them. */
  operators: Identity[];
  result: R;
}

export interface SetupCheckRepository {
  /** Replaces the partner's last check. */
  save(record: SetupCheckRecord): Promise<void>;
  get(partnerId: string): Promise<SetupCheckRecord | null>;
  /** Notes when the Teams admin's access-policy PowerShell was written for the partner. */
  noteAccessPolicyScript(partnerId: string, at: string): Promise<void>;
  /** When it was last written, or null. */
  accessPolicyScriptAt(partnerId: string): Promise<string | null>;
}
