/**
 * The operator's Teams meetings through Graph: createOrGet on the organizer's object id with every
 * attendee's UPN, reading, options by PATCH, deleting twice, and what Graph's refusals become.
 */
import { UnknownOrganizerError } from '../../src/integrations/microsoft';
import { startSimulator, type MicrosoftSimulator } from '../../tools/microsoft-simulator';
import {
  APP_ID,
  appError,
  graphRequests,
  makeGateway,
  meetingInput,
  partner,
  seedWorld,
  type TestGateway,
  type World,
} from './helpers';

let sim: MicrosoftSimulator;
let world: World;
let t: TestGateway;

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  t?.gateway.close();
  await sim.close();
});
beforeEach(() => {
  world = seedWorld(sim);
  t?.gateway.close();
  t = makeGateway(sim, { random: () => 0.2 });
});

describe('createOrGetMeeting', () => {
  it("creates on the organizer's object id with upn and role on every attendee, then gets the same one", async () => {
    const p = partner();
    const input = meetingInput([world.student, world.obrien]);

    const first = await t.gateway.createOrGetMeeting(p, world.adviser.id, 'tc-appt-1', input);
    const again = await t.gateway.createOrGetMeeting(p, world.adviser.id, 'tc-appt-1', input);

    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.meeting.id).toBe(first.meeting.id);
    const [call] = graphRequests(sim);
    expect(call!.path).toBe(`/v1.0/users/${world.adviser.id}/onlineMeetings/createOrGet`);
    expect(call!.headers['prefer']).toBe('include-unknown-enum-members');
    expect(call!.body).toEqual({
      externalId: 'tc-appt-1',
      startDateTime: '2026-12-01T10:00:00Z',
      endDateTime: '2026-12-01T10:30:00Z',
      subject: 'Careers guidance',
      participants: {
        attendees: [
          { identity: { user: { id: world.student.id } }, upn: 's0001@careers-uni.ac.uk', role: 'attendee' },
          { identity: { user: { id: world.obrien.id } }, upn: 'obrien@careers-uni.ac.uk', role: 'attendee' },
        ],
      },
    });
    const stored = sim.meetings({ userId: world.adviser.id });
    expect(stored).toHaveLength(1);
    expect(first.meeting).toEqual({
      id: stored[0]!.id,
      joinWebUrl: stored[0]!.joinWebUrl,
      joinMeetingId: stored[0]!.joinMeetingId,
      passcode: stored[0]!.passcode,
      subject: 'Careers guidance',
      startDateTime: '2026-12-01T10:00:00.000Z',
      endDateTime: '2026-12-01T10:30:00.000Z',
      attendeeIds: [world.student.id, world.obrien.id],
      options: {
        lobbyBypassScope: 'organization',
        allowedPresenters: 'everyone',
        allowMeetingChat: 'enabled',
        recordAutomatically: false,
      },
    });
  });

  it('ACCESS_POLICY_MISSING names the object id and the Grant-CsApplicationAccessPolicy line', async () => {
    const error = await appError(
      t.gateway.createOrGetMeeting(partner(), world.adviserNoPolicy.id, 'tc-appt-2', meetingInput()),
    );

    expect(error.code).toBe('ACCESS_POLICY_MISSING');
    expect(error.status).toBe(424);
    expect(error.remediation).toContain(
      `Grant-CsApplicationAccessPolicy -PolicyName "TARGETconnect-Teams-Meetings" -Identity "${world.adviserNoPolicy.id}"`,
    );
    expect(error.remediation).toContain(
      `New-CsApplicationAccessPolicy -Identity "TARGETconnect-Teams-Meetings" -AppIds "${APP_ID}"`,
    );
    expect(error.remediation).toContain('Steps 2-3');
    expect(error.remediation).toContain('MicrosoftTeams');
    expect(error.remediation).toContain('30 minutes');
    expect(sim.meetings()).toHaveLength(0);
  });

  it('recognises the policy refusal in its documented form too (code Forbidden, other case)', async () => {
    sim.injectFault({
      match: { operation: 'onlineMeetings.createOrGet' },
      status: 403,
      body: {
        error: {
          code: 'Forbidden',
          message: 'NO APPLICATION ACCESS POLICY found for this app',
          innererror: {},
        },
      },
    });
    const error = await appError(
      t.gateway.createOrGetMeeting(partner(), world.adviser.id, 'tc-x', meetingInput()),
    );
    expect(error.code).toBe('ACCESS_POLICY_MISSING');
  });

  it('PERMISSION_MISSING names OnlineMeetings.ReadWrite.All when only users may be read', async () => {
    seedWorld(sim, ['User.ReadBasic.All']);
    const error = await appError(
      t.gateway.createOrGetMeeting(partner(), world.adviser.id, 'tc-appt-3', meetingInput()),
    );

    expect(error.code).toBe('PERMISSION_MISSING');
    expect(error.detail).toContain('OnlineMeetings.ReadWrite.All');
    expect(error.detail).not.toContain('User.ReadBasic.All');
    expect(error.remediation).toContain('Step 1, items 9-17');
  });

  it('throws UnknownOrganizerError when Graph does not know the organizer id', async () => {
    const gone = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
    const error = await t.gateway
      .createOrGetMeeting(partner(), gone, 'tc-appt-4', meetingInput())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnknownOrganizerError);
    expect((error as UnknownOrganizerError).organizerId).toBe(gone);
  });

  it('a 400 from Graph → GRAPH_ERROR with its code', async () => {
    const error = await appError(
      t.gateway.createOrGetMeeting(partner(), world.adviser.id, 'tc-appt-5', {
        ...meetingInput(),
        startDateTime: '2026-12-01T11:00:00Z',
      }),
    );
    expect(error.code).toBe('GRAPH_ERROR');
    expect(error.detail).toContain('400 BadRequest');
  });
});

describe('reading, changing and deleting', () => {
  it('gets a meeting by its id (percent-encoded: it holds / + =); an unknown one is null', async () => {
    const p = partner();
    const { meeting } = await t.gateway.createOrGetMeeting(p, world.adviser.id, 'tc-appt-6', meetingInput());
    expect(meeting.id).toMatch(/[/+=]/);

    expect(await t.gateway.getMeeting(p, world.adviser.id, meeting.id)).toEqual(meeting);
    expect(await t.gateway.getMeeting(p, world.adviser.id, `${meeting.id}x`)).toBeNull();
    const get = graphRequests(sim).find((r) => r.operation === 'onlineMeetings.get')!;
    expect(get.path).toBe(`/v1.0/users/${world.adviser.id}/onlineMeetings/${encodeURIComponent(meeting.id)}`);
  });

  it('sets options with a PATCH in Graph terms, attendees as the full list', async () => {
    const p = partner();
    const { meeting } = await t.gateway.createOrGetMeeting(
      p,
      world.adviser.id,
      'tc-appt-7',
      meetingInput([world.student]),
    );

    const updated = await t.gateway.updateMeeting(p, world.adviser.id, meeting.id, {
      subject: 'Careers guidance (moved)',
      startDateTime: '2026-12-02T09:00:00Z',
      endDateTime: '2026-12-02T09:45:00Z',
      attendees: [{ id: world.obrien.id, userPrincipalName: world.obrien.userPrincipalName }],
      options: {
        lobbyBypassScope: 'invited',
        allowedPresenters: 'organizer',
        allowMeetingChat: 'limited',
        recordAutomatically: true,
      },
    });

    const patch = graphRequests(sim).find((r) => r.operation === 'onlineMeetings.update')!;
    expect(patch.method).toBe('PATCH');
    expect(patch.headers['prefer']).toBe('include-unknown-enum-members');
    expect(patch.body).toEqual({
      subject: 'Careers guidance (moved)',
      startDateTime: '2026-12-02T09:00:00Z',
      endDateTime: '2026-12-02T09:45:00Z',
      participants: {
        attendees: [
          { identity: { user: { id: world.obrien.id } }, upn: 'obrien@careers-uni.ac.uk', role: 'attendee' },
        ],
      },
      lobbyBypassSettings: { scope: 'invited' },
      allowedPresenters: 'organizer',
      allowMeetingChat: 'limited',
      recordAutomatically: true,
    });
    expect(updated).toMatchObject({
      id: meeting.id,
      joinWebUrl: meeting.joinWebUrl,
      subject: 'Careers guidance (moved)',
      startDateTime: '2026-12-02T09:00:00.000Z',
      attendeeIds: [world.obrien.id],
      options: {
        lobbyBypassScope: 'invited',
        allowedPresenters: 'organizer',
        allowMeetingChat: 'limited',
        recordAutomatically: true,
      },
    });
    expect(sim.meetings()[0]).toMatchObject({ allowedPresenters: 'organizer', recordAutomatically: true });
  });

  it('a PATCH of a meeting Teams no longer has → MEETING_NOT_FOUND', async () => {
    const error = await appError(
      t.gateway.updateMeeting(partner(), world.adviser.id, 'gone-meeting', { subject: 'x' }),
    );
    expect(error.code).toBe('MEETING_NOT_FOUND');
  });

  it("deletes: 'deleted', then 'gone'", async () => {
    const p = partner();
    const { meeting } = await t.gateway.createOrGetMeeting(p, world.adviser.id, 'tc-appt-8', meetingInput());

    expect(await t.gateway.deleteMeeting(p, world.adviser.id, meeting.id)).toBe('deleted');
    expect(await t.gateway.deleteMeeting(p, world.adviser.id, meeting.id)).toBe('gone');
    expect(sim.meetings()).toHaveLength(0);
  });

  it('checks the access policy without creating anything', async () => {
    const p = partner();
    await expect(t.gateway.checkAccessPolicy(p, world.adviser.id)).resolves.toBeUndefined();
    const error = await appError(t.gateway.checkAccessPolicy(p, world.adviserNoPolicy.id));
    expect(error.code).toBe('ACCESS_POLICY_MISSING');
    expect(error.remediation).toContain(world.adviserNoPolicy.id);
    expect(sim.meetings()).toHaveLength(0);
  });
});
