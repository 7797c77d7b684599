/**
 * Who takes part: the operator, who must be exactly one Entra ID user and becomes the organizer,
 * and the attendees, each matched or reported (an unmatched student still joins by link).
 */
import { AppError } from '../errors';
import { localValue, type Identity } from '../identity/identity';
import type { IdentityMatcher, IdentityOutcome } from '../identity/identity-matcher';
import type { MeetingAttendeeInput } from '../microsoft.port';
import type { PartnerRecord } from '../partners/partner.record';
import type { AttendeeOutcome, Organizer } from './meeting.record';

export class Participants {
  constructor(private readonly identities: IdentityMatcher) {}

  /** The organizer and the attendees; one lookup when both use the same Entra property. */
  async resolve(
    partner: PartnerRecord,
    operator: Identity,
    attendees: Identity[],
  ): Promise<{ organizer: Organizer; attendees: AttendeeOutcome[] }> {
    if (partner.operatorRemoteMatchField !== partner.userRemoteMatchField) {
      const [organizer, outcomes] = await Promise.all([
        this.organizer(partner, operator),
        this.attendees(partner, attendees),
      ]);
      return { organizer, attendees: outcomes };
    }
    const value = operatorValue(partner, operator);
    const [first, ...rest] = await this.identities.match(partner, partner.operatorRemoteMatchField, [
      value,
      ...attendees.map((a) => localValue(a, partner.userLocalMatchField)),
    ]);
    return { organizer: organizerFrom(partner, first!), attendees: rest.map(attendeeFrom) };
  }

  async organizer(partner: PartnerRecord, operator: Identity): Promise<Organizer> {
    const value = operatorValue(partner, operator);
    const [outcome] = await this.identities.match(partner, partner.operatorRemoteMatchField, [value]);
    return organizerFrom(partner, outcome!);
  }

  async attendees(partner: PartnerRecord, identities: Identity[]): Promise<AttendeeOutcome[]> {
    const values = identities.map((a) => localValue(a, partner.userLocalMatchField));
    return (await this.identities.match(partner, partner.userRemoteMatchField, values)).map(attendeeFrom);
  }

  /** Forgets the operator's cached object id (Graph no longer knows it), so the next lookup is fresh. */
  forgetOrganizer(partner: PartnerRecord, operator: Identity): void {
    this.identities.invalidate(partner, partner.operatorRemoteMatchField, operatorValue(partner, operator));
  }
}

/** The operator's match value; 422 OPERATOR_IDENTITY_MISSING when the field is not there. */
export function operatorValue(partner: PartnerRecord, operator: Identity): string {
  const value = localValue(operator, partner.operatorLocalMatchField);
  if (value === null) {
    throw new AppError('OPERATOR_IDENTITY_MISSING', {
      detail: `The operator has no '${partner.operatorLocalMatchField}', the field this partner matches advisers by.`,
      remediation: `Send '${partner.operatorLocalMatchField}' in 'operator', or change operatorLocalMatchField in the partner configuration (Step 4 - TARGETconnect platform).`,
    });
  }
  return value;
}

function organizerFrom(partner: PartnerRecord, outcome: IdentityOutcome): Organizer {
  const field = partner.operatorRemoteMatchField;
  switch (outcome.status) {
    case 'matched':
      return {
        id: outcome.user.id,
        userPrincipalName: outcome.user.userPrincipalName,
        displayName: outcome.user.displayName,
        mail: outcome.user.mail,
      };
    case 'ambiguous':
      throw new AppError('OPERATOR_AMBIGUOUS', {
        detail: `${outcome.count} Entra ID users have ${field} '${outcome.value}'; the organizer must be exactly one.`,
        remediation: `Match advisers on a unique property: set operatorRemoteMatchField to userPrincipalName or id (Step 4 - TARGETconnect platform).`,
      });
    default:
      throw new AppError('OPERATOR_NOT_FOUND', {
        detail: `No Entra ID user has ${field} '${outcome.value}'.`,
        remediation: `Check that the adviser exists in Entra ID with this ${field}, or that operatorLocalMatchField/operatorRemoteMatchField (Step 4 - TARGETconnect platform) name the right fields.`,
      });
  }
}

function attendeeFrom(outcome: IdentityOutcome): AttendeeOutcome {
  switch (outcome.status) {
    case 'matched':
      return {
        matched: true,
        id: outcome.user.id,
        userPrincipalName: outcome.user.userPrincipalName,
        mail: outcome.user.mail,
      };
    case 'missing_field':
      return { matched: false, reason: 'missing_field', value: null };
    default:
      return { matched: false, reason: outcome.status, value: outcome.value };
  }
}

/** The matched attendees, once each, as Graph takes them. */
export function matchedOf(attendees: AttendeeOutcome[]): MeetingAttendeeInput[] {
  const seen = new Set<string>();
  const result: MeetingAttendeeInput[] = [];
  for (const a of attendees) {
    if (!a.matched || seen.has(a.id)) continue;
    seen.add(a.id);
    result.push({ id: a.id, userPrincipalName: a.userPrincipalName, ...(a.mail ? { mail: a.mail } : {}) });
  }
  return result;
}
