/**
 * The partner configuration as the API accepts it: the setup guide's Step 4 fields, each with a
 * message that says where in the Azure portal the right value is.
 */
import { z } from 'zod';
import {
  ALLOWED_PRESENTERS,
  CLOUDS,
  CREDENTIAL_TYPES,
  MEETING_MODES,
  LOBBY_BYPASS_SCOPES,
  MEETING_CHAT_MODES,
  REMOTE_MATCH_FIELDS,
} from '../../domain/partners/partner.record';
import { GUID_PATTERN, isRealDate, RFC3339_WITH_OFFSET } from './common';

const DOMAIN_PATTERN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const LOCAL_FIELD_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export const meetingOptionsSchema = z
  .strictObject({
    lobbyBypassScope: z.enum(LOBBY_BYPASS_SCOPES, {
      error: `lobbyBypassScope must be one of: ${LOBBY_BYPASS_SCOPES.join(', ')}.`,
    }),
    allowedPresenters: z.enum(ALLOWED_PRESENTERS, {
      error: `allowedPresenters must be one of: ${ALLOWED_PRESENTERS.join(', ')}.`,
    }),
    allowMeetingChat: z.enum(MEETING_CHAT_MODES, {
      error: `allowMeetingChat must be one of: ${MEETING_CHAT_MODES.join(', ')}.`,
    }),
    recordAutomatically: z.boolean({ error: 'recordAutomatically must be true or false.' }),
  })
  .partial();

const applicationId = z
  .string({ error: 'applicationId must be a string.' })
  .trim()
  .regex(
    GUID_PATTERN,
    "applicationId must be the 'Application (client) ID' GUID from the app registration's Overview page (Step 1, item 4).",
  )
  .transform((v) => v.toLowerCase());

const tenantId = z
  .string({ error: 'tenantId must be a string.' })
  .trim()
  .refine(
    (v) => GUID_PATTERN.test(v) || DOMAIN_PATTERN.test(v),
    "tenantId must be the 'Directory (tenant) ID' GUID from the app registration's Overview page (Step 1, item 4), or a verified domain such as uni.ac.uk.",
  )
  .transform((v) => v.toLowerCase());

const clientSecret = z
  .string({ error: 'clientSecret must be a string.' })
  .min(1, 'clientSecret must not be empty.')
  .max(1024, 'clientSecret is longer than any Entra ID secret (1024 characters at most).')
  .refine((v) => v.trim() === v, 'clientSecret has leading or trailing spaces; paste the Value exactly.')
  .refine(
    (v) => !GUID_PATTERN.test(v),
    "clientSecret looks like the 'Secret ID' (a GUID). Paste the secret's 'Value' column instead, shown only when the secret is created (Step 1, items 5-8).",
  );

const clientSecretExpiresAt = z
  .string({ error: 'clientSecretExpiresAt must be a string.' })
  .trim()
  .refine(
    (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v) || RFC3339_WITH_OFFSET.test(v)) && isRealDate(v),
    "clientSecretExpiresAt must be a date (2027-06-30) or an RFC 3339 date-time with offset; it is the 'Expires' column of the client secret.",
  )
  .transform((v) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v).toISOString())
  .nullable();

/** Names every JavaScript object already has: no TARGETconnect field is called that. */
const RESERVED_FIELD_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

const localField = (name: string, example: string) =>
  z
    .string({ error: `${name} must be a string.` })
    .regex(LOCAL_FIELD_PATTERN, {
      error: `${name} must name a TARGETconnect field (letters, digits, '_', '.', '-'; up to 64), e.g. ${example}.`,
      abort: true,
    })
    .refine(
      (v) => !RESERVED_FIELD_NAMES.has(v),
      `${name} cannot be a name such as __proto__ or constructor; name the TARGETconnect field, e.g. ${example}.`,
    );

const remoteField = (name: string) =>
  z.enum(REMOTE_MATCH_FIELDS, {
    error: `${name} must be one of ${REMOTE_MATCH_FIELDS.join(', ')}: the Entra ID user properties that User.ReadBasic.All can look up.`,
  });

const credentialType = z.enum(CREDENTIAL_TYPES, {
  error: `credentialType must be one of ${CREDENTIAL_TYPES.join(', ')}: the stored client secret, the partner's certificates (POST /partners/{partnerId}/certificates), or TARGETconnect's platform app (one admin consent, no registration).`,
});

const meetingMode = z.enum(MEETING_MODES, {
  error: `meetingMode must be one of ${MEETING_MODES.join(', ')}: a standalone Teams meeting, or an event in the adviser's Outlook calendar with a Teams meeting (Calendars.ReadWrite, scoped with Exchange RBAC for Applications).`,
});

const sendInvitations = z.boolean({
  error:
    "sendInvitations must be true or false: whether Exchange invites the students to the adviser's event (calendarEvent mode).",
});

const cloud = z.enum(CLOUDS, {
  error: `cloud must be one of ${CLOUDS.join(', ')} (Teams online meetings are not offered in the China cloud).`,
});

const partnerFields = {
  applicationId,
  tenantId,
  clientSecret: clientSecret.optional(),
  clientSecretExpiresAt: clientSecretExpiresAt.optional(),
  operatorLocalMatchField: localField('operatorLocalMatchField', 'email'),
  operatorRemoteMatchField: remoteField('operatorRemoteMatchField'),
  userLocalMatchField: localField('userLocalMatchField', 'email'),
  userRemoteMatchField: remoteField('userRemoteMatchField'),
  cloud: cloud.optional(),
  credentialType: credentialType.optional(),
  meetingDefaults: meetingOptionsSchema.optional(),
  meetingMode: meetingMode.optional(),
  sendInvitations: sendInvitations.optional(),
};

/**
 * PUT: the whole configuration (the secret may be left out to keep the stored one). A
 * platform-app partner gives no applicationId (or the platform app's): it has no registration.
 */
export const partnerPutSchema = z
  .strictObject({ ...partnerFields, applicationId: applicationId.optional() })
  .superRefine((v, ctx) => {
    if (v.applicationId === undefined && v.credentialType !== 'platformApp') {
      ctx.addIssue({
        code: 'custom',
        path: ['applicationId'],
        message:
          "applicationId is required: the Application (client) ID of the app registration (Step 1), unless credentialType is 'platformApp'.",
      });
    }
  });

/** PATCH: any of the fields, at least one. */
export const partnerPatchSchema = z
  .strictObject({
    ...partnerFields,
    // null removes the stored secret, once certificates sign (credentialType 'certificate').
    clientSecret: z.union([clientSecret, z.null()]).optional(),
    applicationId: applicationId.optional(),
    tenantId: tenantId.optional(),
    operatorLocalMatchField: partnerFields.operatorLocalMatchField.optional(),
    operatorRemoteMatchField: partnerFields.operatorRemoteMatchField.optional(),
    userLocalMatchField: partnerFields.userLocalMatchField.optional(),
    userRemoteMatchField: partnerFields.userRemoteMatchField.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'Send at least one field to change.');

export type PartnerPutBody = z.infer<typeof partnerPutSchema>;
export type PartnerPatchBody = z.infer<typeof partnerPatchSchema>;

/** `GET /partners?include=status`: each partner with the daily setup watch's status. */
export const partnerListQuerySchema = z.strictObject({
  include: z.enum(['status'], { message: "include must be 'status'" }).optional(),
});
