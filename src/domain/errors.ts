/**
 * The one catalogue of error codes the service answers with (README, "Errors"; openapi.yaml,
 * Problem.code), and the one
 * error type everything funnels into. The HTTP layer turns an AppError into problem+json.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time' },
  EXPECTATION_FAILED: { status: 417, title: 'The Expect header cannot be met' },
  REQUEST_HEADERS_TOO_LARGE: { status: 431, title: 'The request line or headers are too large' },
  UNAUTHENTICATED: { status: 401, title: 'Missing or unknown API key' },
  FORBIDDEN: { status: 403, title: 'This key may not use this endpoint' },
  PARTNER_NOT_FOUND: { status: 404, title: 'Partner not found' },
  MEETING_NOT_FOUND: { status: 404, title: 'Meeting not found' },
  WEBHOOK_NOT_FOUND: { status: 404, title: 'Webhook not found' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  APPOINTMENT_EXISTS: { status: 409, title: 'The appointment already has a meeting with other details' },
  MEETING_IN_PROGRESS: { status: 409, title: "Another request is creating this appointment's meeting" },
  CONCURRENT_UPDATE: { status: 409, title: 'The record changed while this request ran' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  OPERATOR_IDENTITY_MISSING: {
    status: 422,
    title: "The operator lacks the partner's operator local match field",
  },
  OPERATOR_NOT_FOUND: { status: 422, title: 'No Entra ID user matches the operator' },
  OPERATOR_AMBIGUOUS: { status: 422, title: 'More than one Entra ID user matches the operator' },
  OPERATOR_MAILBOX_UNAVAILABLE: { status: 422, title: 'The adviser has no Exchange Online mailbox' },
  ACCESS_POLICY_MISSING: { status: 424, title: 'The operator has no Teams application access policy' },
  INVALID_CLIENT_SECRET: { status: 424, title: 'Entra ID refused the client secret' },
  CLIENT_SECRET_EXPIRED: { status: 424, title: 'The client secret has expired' },
  APPLICATION_NOT_FOUND: { status: 424, title: 'Entra ID does not know the application ID in this tenant' },
  TENANT_NOT_FOUND: { status: 424, title: 'Entra ID does not know the tenant' },
  PERMISSION_MISSING: { status: 424, title: 'The application lacks a Microsoft Graph permission' },
  CALENDAR_ACCESS_DENIED: {
    status: 424,
    title: "Exchange refused the adviser's calendar to the application",
  },
  CONSENT_REQUIRED: {
    status: 424,
    title: "The university's admin has not consented to TARGETconnect's platform app",
  },
  CERTIFICATE_NOT_REGISTERED: { status: 424, title: 'Entra ID does not know the certificate' },
  CERTIFICATE_EXPIRED: { status: 424, title: 'The certificate has expired' },
  NO_USABLE_CREDENTIAL: { status: 424, title: 'The partner has no secret or valid certificate to use' },
  CLIENT_SECRET_UNREADABLE: {
    status: 424,
    title: "The stored client secret cannot be read with this service's SECRETS_KEY",
  },
  RATE_LIMITED: { status: 429, title: 'Too many requests for this key' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  GRAPH_ERROR: { status: 502, title: 'Unexpected answer from Microsoft Graph' },
  ENTRA_ERROR: { status: 502, title: 'Unexpected answer from Entra ID' },
  GRAPH_UNAVAILABLE: { status: 503, title: 'Microsoft Graph is unavailable or throttling' },
  ENTRA_UNAVAILABLE: { status: 503, title: 'Entra ID is unavailable or throttling' },
  STORE_UNAVAILABLE: { status: 503, title: 'The service store is unavailable' },
  GRAPH_TIMEOUT: { status: 504, title: 'Microsoft Graph did not answer in time' },
  ENTRA_TIMEOUT: { status: 504, title: 'Entra ID did not answer in time' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** One issue of a failed validation: where, and what is wrong, in words a person can act on. */
export interface FieldIssue {
  /** JSON pointer-ish dotted path, e.g. `body.applicationId` or `params.partnerId`. */
  field: string;
  message: string;
}

export interface AppErrorOptions {
  detail?: string;
  remediation?: string;
  errors?: FieldIssue[];
  /** Seconds; sent as `Retry-After`. */
  retryAfterSeconds?: number;
  /** Kept for the logs only, never sent to the client. */
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly remediation: string | undefined;
  readonly errors: FieldIssue[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const entry = ERROR_CATALOGUE[code];
    super(options.detail ?? entry.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
    this.detail = options.detail ?? entry.title;
    this.remediation = options.remediation;
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * Microsoft down, slow or answering what it should not: nothing of the university's setup, and
 * worth trying again later (the setup checks' remediation, the daily watch's "no change").
 */
export const TRANSIENT_MICROSOFT_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'GRAPH_ERROR',
  'ENTRA_ERROR',
  'GRAPH_UNAVAILABLE',
  'ENTRA_UNAVAILABLE',
  'GRAPH_TIMEOUT',
  'ENTRA_TIMEOUT',
]);
