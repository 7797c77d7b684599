/**
 * The simulator's in-memory world: tenants with their verified domains, app registrations and
 * their secrets and consented roles, users, Teams application access policies, and meetings.
 * Everything handed out is a copy, so tests cannot change the state behind the simulator's back.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import type {
  SimAttendanceReport,
  NewApp,
  NewTenant,
  NewUser,
  SimApp,
  SimMeeting,
  SimTenant,
  SimUser,
  SimCertificate,
  SimConsent,
} from './types';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A deep copy of JSON data. Not structuredClone: that builds objects of Node's main realm, which
 * fail `instanceof` checks inside jest's sandbox.
 */
/** What Entra keeps of an uploaded certificate: its thumbprints and expiry. */
function uploadedCertificate(pem: string): SimCertificate {
  const cert = new X509Certificate(pem);
  return {
    pem: cert.toString(),
    thumbprint: cert.fingerprint.replace(/:/g, '').toUpperCase(),
    thumbprintSha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    notAfter: new Date(cert.validTo),
  };
}

export function copyJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

function appKey(tenantId: string, appId: string): string {
  return `${tenantId}|${appId.toLowerCase()}`;
}

function policyKey(tenantId: string, userId: string, appId: string): string {
  return `${tenantId}|${userId.toLowerCase()}|${appId.toLowerCase()}`;
}

export class Directory {
  private readonly tenants = new Map<string, SimTenant>();
  private readonly apps = new Map<string, SimApp>();
  private readonly consents = new Map<string, SimConsent>();
  /** The app's service principal object ID in its tenant: a token's `oid`. */
  private readonly servicePrincipals = new Map<string, string>();
  private readonly users = new Map<string, SimUser>();
  /**
   * Users by tenant and lower-case userPrincipalName (unique) and mail (not unique), so that a
   * lookup or an added user costs the same with 50 users or 50,000 (the benchmark's directory).
   */
  private readonly byUpn = new Map<string, SimUser>();
  private readonly byMail = new Map<string, SimUser[]>();
  /** Each user's place in the order of addition: answers list users in that order. */
  private readonly addedAt = new Map<string, number>();
  private added = 0;
  private readonly userPolicies = new Set<string>();
  private readonly globalPolicies = new Set<string>();
  private readonly meetingStore = new Map<string, SimMeeting>();
  /** tenant|organizer|externalId → meeting id: createOrGet must not scan every meeting (benchmarks make thousands). */
  private readonly byExternalId = new Map<string, string>();
  /**
   * Deleted meetings by join link, as they were when deleted: users report that Teams keeps a
   * deleted meeting's link joinable, so what someone with the link meets is what was last set.
   */
  private readonly deletedByJoinUrl = new Map<string, SimMeeting>();

  /** Attendance reports by meeting id, one per session. */
  private readonly attendance = new Map<string, SimAttendanceReport[]>();

  clear(): void {
    this.attendance.clear();
    this.deletedByJoinUrl.clear();
    this.tenants.clear();
    this.apps.clear();
    this.consents.clear();
    this.servicePrincipals.clear();
    this.users.clear();
    this.byUpn.clear();
    this.byMail.clear();
    this.addedAt.clear();
    this.userPolicies.clear();
    this.globalPolicies.clear();
    this.meetingStore.clear();
    this.byExternalId.clear();
  }

  addTenant(input: NewTenant): void {
    if (!isGuid(input.id)) throw new Error(`addTenant: id must be a GUID, got '${input.id}'`);
    const id = input.id.toLowerCase();
    this.tenants.set(id, { id, domains: (input.domains ?? []).map((d) => d.toLowerCase()) });
  }

  /** A tenant by GUID or verified domain, case-insensitively. */
  resolveTenant(idOrDomain: string): SimTenant | undefined {
    const key = idOrDomain.toLowerCase();
    const byId = this.tenants.get(key);
    if (byId) return byId;
    for (const tenant of this.tenants.values()) {
      if (tenant.domains.includes(key)) return tenant;
    }
    return undefined;
  }

  private requireTenant(tenantId: string, caller: string): SimTenant {
    const tenant = this.resolveTenant(tenantId);
    if (!tenant) throw new Error(`${caller}: unknown tenant '${tenantId}' (call addTenant first)`);
    return tenant;
  }

  addApp(input: NewApp): void {
    const tenant = this.requireTenant(input.tenantId, 'addApp');
    const app: SimApp = {
      tenantId: tenant.id,
      appId: input.appId.toLowerCase(),
      secrets: input.secrets.map((s) => ({
        value: s.value,
        id: s.id ?? randomUUID(),
        ...(s.expiresAt ? { expiresAt: new Date(s.expiresAt.getTime()) } : {}),
      })),
      certificates: (input.certificates ?? []).map(uploadedCertificate),
      roles: [...(input.roles ?? [])],
      usersEndpointForbidden: input.usersEndpointForbidden ?? false,
      multiTenant: input.multiTenant ?? false,
      redirectUris: [...(input.redirectUris ?? [])],
      federatedCredentials: [...(input.federatedCredentials ?? [])],
    };
    const key = appKey(tenant.id, app.appId);
    this.apps.set(key, app);
    if (!this.servicePrincipals.has(key)) this.servicePrincipals.set(key, randomUUID());
  }

  /** Uploads a certificate to the app, as the portal's *Upload certificate* does. */
  uploadCertificate(tenantId: string, appId: string, pem: string): SimCertificate {
    const app = this.app(this.requireTenant(tenantId, 'uploadCertificate').id, appId);
    if (!app) throw new Error(`uploadCertificate: unknown app '${appId}'`);
    const certificate = uploadedCertificate(pem);
    app.certificates = [
      ...app.certificates.filter((c) => c.thumbprint !== certificate.thumbprint),
      certificate,
    ];
    return certificate;
  }

  app(tenantId: string, appId: string): SimApp | undefined {
    return this.apps.get(appKey(tenantId, appId));
  }

  /** The multi-tenant registration of `appId`, in whichever tenant it lives. */
  multiTenantApp(appId: string): SimApp | undefined {
    const id = appId.toLowerCase();
    return [...this.apps.values()].find((a) => a.multiTenant && a.appId === id);
  }

  /** An admin of `tenantId` consents to the multi-tenant app: its service principal is made there. */
  grantConsent(tenantId: string, appId: string, nowMs: number, lagMs: number): SimConsent {
    const app = this.multiTenantApp(appId);
    if (!app) throw new Error(`grantConsent: no multi-tenant app '${appId}'`);
    const tenant = this.requireTenant(tenantId, 'grantConsent');
    const consent: SimConsent = {
      tenantId: tenant.id,
      appId: app.appId,
      roles: [...app.roles],
      grantedAt: nowMs,
      effectiveAt: nowMs + lagMs,
    };
    const key = appKey(tenant.id, app.appId);
    this.consents.set(key, consent);
    if (!this.servicePrincipals.has(key)) this.servicePrincipals.set(key, randomUUID());
    return consent;
  }

  revokeConsent(tenantId: string, appId: string): void {
    this.consents.delete(appKey(this.requireTenant(tenantId, 'revokeConsent').id, appId));
  }

  consent(tenantId: string, appId: string): SimConsent | undefined {
    return this.consents.get(appKey(tenantId, appId));
  }

  allConsents(): SimConsent[] {
    return [...this.consents.values()].map((c) => ({ ...c, roles: [...c.roles] }));
  }

  servicePrincipalId(tenantId: string, appId: string): string {
    return this.servicePrincipals.get(appKey(tenantId, appId)) ?? randomUUID();
  }

  addUser(input: NewUser): SimUser {
    const tenant = this.requireTenant(input.tenantId, 'addUser');
    if (input.id !== undefined && !isGuid(input.id)) {
      throw new Error(`addUser: id must be a GUID (an Entra object ID), got '${input.id}'`);
    }
    if (this.byUpn.has(indexKey(tenant.id, input.userPrincipalName))) {
      throw new Error(`addUser: '${input.userPrincipalName}' already exists in tenant ${tenant.id}`);
    }
    const user: SimUser = {
      id: (input.id ?? randomUUID()).toLowerCase(),
      tenantId: tenant.id,
      userPrincipalName: input.userPrincipalName,
      mail: input.mail === undefined ? input.userPrincipalName : input.mail,
      displayName: input.displayName ?? null,
      givenName: input.givenName ?? null,
      surname: input.surname ?? null,
    };
    const replaced = this.users.get(user.id);
    if (replaced) this.unindex(replaced);
    this.users.set(user.id, user);
    this.byUpn.set(indexKey(tenant.id, user.userPrincipalName), user);
    if (user.mail !== null) {
      const key = indexKey(tenant.id, user.mail);
      this.byMail.set(key, [...(this.byMail.get(key) ?? []), user]);
    }
    this.added += 1;
    this.addedAt.set(user.id, this.added);
    return { ...user };
  }

  private unindex(user: SimUser): void {
    this.byUpn.delete(indexKey(user.tenantId, user.userPrincipalName));
    if (user.mail !== null) {
      const key = indexKey(user.tenantId, user.mail);
      const rest = (this.byMail.get(key) ?? []).filter((u) => u.id !== user.id);
      if (rest.length > 0) this.byMail.set(key, rest);
      else this.byMail.delete(key);
    }
    this.addedAt.delete(user.id);
  }

  /** Deletes a user (as when an account is deleted and recreated with a new object ID). */
  removeUser(tenantId: string, id: string): boolean {
    const user = this.users.get(id.toLowerCase());
    if (!user || user.tenantId !== this.requireTenant(tenantId, 'removeUser').id) return false;
    this.unindex(user);
    return this.users.delete(user.id);
  }

  usersOf(tenantId: string): SimUser[] {
    return [...this.users.values()].filter((u) => u.tenantId === tenantId).map((u) => ({ ...u }));
  }

  /**
   * The tenant's users whose `property` equals one of `values` (case-insensitively, as Graph's
   * `eq` and `in`), in the order they were added: what a filter on that property can match.
   */
  usersWith(tenantId: string, property: 'id' | 'mail' | 'userPrincipalName', values: string[]): SimUser[] {
    const found = new Map<string, SimUser>();
    for (const value of values) {
      const matches =
        property === 'id'
          ? [this.users.get(value.toLowerCase())]
          : property === 'mail'
            ? (this.byMail.get(indexKey(tenantId, value)) ?? [])
            : [this.byUpn.get(indexKey(tenantId, value))];
      for (const user of matches) if (user && user.tenantId === tenantId) found.set(user.id, user);
    }
    const order = (u: SimUser) => this.addedAt.get(u.id) ?? 0;
    return [...found.values()].sort((a, b) => order(a) - order(b)).map((u) => ({ ...u }));
  }

  /** A user of the tenant by object ID. */
  userById(tenantId: string, id: string): SimUser | undefined {
    const user = this.users.get(id.toLowerCase());
    return user && user.tenantId === tenantId ? { ...user } : undefined;
  }

  /** A user of the tenant by object ID or userPrincipalName, as `/users/{id | userPrincipalName}`. */
  findUser(tenantId: string, idOrUpn: string): SimUser | undefined {
    const byId = this.userById(tenantId, idOrUpn);
    if (byId) return byId;
    const found = this.byUpn.get(indexKey(tenantId, idOrUpn));
    return found ? { ...found } : undefined;
  }

  grantPolicy(tenantId: string, userId: string, appId: string): void {
    const tenant = this.requireTenant(tenantId, 'grantPolicy');
    this.userPolicies.add(policyKey(tenant.id, userId, appId));
  }

  /** Removes the user's grant for that app, or all of the user's grants when no app is given. */
  revokePolicy(tenantId: string, userId: string, appId?: string): void {
    const tenant = this.requireTenant(tenantId, 'revokePolicy');
    if (appId !== undefined) {
      this.userPolicies.delete(policyKey(tenant.id, userId, appId));
      return;
    }
    const prefix = `${tenant.id}|${userId.toLowerCase()}|`;
    for (const key of [...this.userPolicies]) {
      if (key.startsWith(prefix)) this.userPolicies.delete(key);
    }
  }

  grantGlobalPolicy(tenantId: string, appId: string): void {
    const tenant = this.requireTenant(tenantId, 'grantGlobalPolicy');
    this.globalPolicies.add(`${tenant.id}|${appId.toLowerCase()}`);
  }

  revokeGlobalPolicy(tenantId: string, appId: string): void {
    const tenant = this.requireTenant(tenantId, 'revokeGlobalPolicy');
    this.globalPolicies.delete(`${tenant.id}|${appId.toLowerCase()}`);
  }

  hasPolicy(tenantId: string, userId: string, appId: string): boolean {
    return (
      this.userPolicies.has(policyKey(tenantId, userId, appId)) ||
      this.globalPolicies.has(`${tenantId}|${appId.toLowerCase()}`)
    );
  }

  saveMeeting(meeting: SimMeeting): void {
    this.meetingStore.set(meeting.id, copyJson(meeting));
    if (meeting.externalId) {
      this.byExternalId.set(
        externalKey(meeting.tenantId, meeting.organizerId, meeting.externalId),
        meeting.id,
      );
    }
  }

  meeting(id: string): SimMeeting | undefined {
    const found = this.meetingStore.get(id);
    return found ? copyJson(found) : undefined;
  }

  meetingByExternalId(tenantId: string, organizerId: string, externalId: string): SimMeeting | undefined {
    const id = this.byExternalId.get(externalKey(tenantId, organizerId, externalId));
    const found = id === undefined ? undefined : this.meetingStore.get(id);
    return found ? copyJson(found) : undefined;
  }

  deleteMeeting(id: string): boolean {
    const found = this.meetingStore.get(id);
    if (found?.externalId)
      this.byExternalId.delete(externalKey(found.tenantId, found.organizerId, found.externalId));
    if (found) this.deletedByJoinUrl.set(found.joinWebUrl, found);
    return this.meetingStore.delete(id);
  }

  addAttendanceReport(report: SimAttendanceReport): void {
    this.attendance.set(report.meetingId, [
      ...(this.attendance.get(report.meetingId) ?? []),
      copyJson(report),
    ]);
  }

  attendanceReports(meetingId: string): SimAttendanceReport[] {
    return (this.attendance.get(meetingId) ?? []).map((r) => copyJson(r));
  }

  /** What the join link leads to: the meeting (live or deleted) with its settings then; undefined for an unknown link. */
  joinByLink(joinWebUrl: string): { meeting: SimMeeting; deleted: boolean } | undefined {
    const live = [...this.meetingStore.values()].find((m) => m.joinWebUrl === joinWebUrl);
    if (live) return { meeting: copyJson(live), deleted: false };
    const deleted = this.deletedByJoinUrl.get(joinWebUrl);
    return deleted ? { meeting: copyJson(deleted), deleted: true } : undefined;
  }

  meetings(filter: { tenantId?: string; userId?: string } = {}): SimMeeting[] {
    const tenantId = filter.tenantId?.toLowerCase();
    const userId = filter.userId?.toLowerCase();
    return [...this.meetingStore.values()]
      .filter(
        (m) =>
          (tenantId === undefined || m.tenantId === tenantId) &&
          (userId === undefined || m.organizerId === userId),
      )
      .map((m) => copyJson(m));
  }
}

function externalKey(tenantId: string, organizerId: string, externalId: string): string {
  return `${tenantId}|${organizerId}|${externalId}`;
}

/** A tenant's index key for a value compared case-insensitively. */
function indexKey(tenantId: string, value: string): string {
  return `${tenantId}\u0000${value.toLowerCase()}`;
}
