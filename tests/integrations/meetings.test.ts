/**
 * The operator's Teams meetings through Graph: createOrGet on the organizer's object id with every
 * attendee's UPN, reading, options by PATCH, deleting twice, and what Graph's refusals become.
 */
import { UnknownOrganizerError } from '../../src/integrations/microsoft';
import {
  APP_ID,
  appError,
  graphRequests,
  gatewayPerTest,
  seedGatewayWorld,
  meetingInput,
  partner,
} from '../support/gateway-world';

const g = gatewayPerTest(() => ({ random: () => 0.2 }));

describe('createOrGetMeeting', () => {
  it("creates on the organizer's object id with upn and role on every attendee, then gets the same one", async () => {
    const p = partner();
    const input = meetingInput([g.world.student, g.world.obrien]);

    const first = await g.t.gateway.createOrGetMeeting(p, g.world.adviser.id, 'tc-appt-1', input);
    const again = await g.t.gateway.createOrGetMeeting(p, g.world.adviser.id, 'tc-appt-1', input);

    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.meeting.id).toBe(first.meeting.id);
    const [call] = graphRequests(g.sim);
    expect(call!.path).toBe(`/v1.0/users/${g.world.adviser.id}/onlineMeetings/createOrGet`);
    expect(call!.headers['prefer']).toBe('include-unknown-enum-members');
    expect(call!.body).toEqual({
      externalId: 'tc-appt-1',
      startDateTime: '2026-12-01T10:00:00Z',
      endDateTime: '2026-12-01T10:30:00Z',
      subject: 'Careers guidance',
      participants: {
        attendees: [
          {
            identity: { user: { id: g.world.student.id } },
            upn: 's0001@careers-uni.ac.uk',
            role: 'attendee',
          },
          {
            identity: { user: { id: g.world.obrien.id } },
            upn: 'obrien@careers-uni.ac.uk',
            role: 'attendee',
          },
        ],
      },
    });
    const stored = g.sim.meetings({ userId: g.world.adviser.id });
    expect(stored).toHaveLength(1);
    expect(first.meeting).toEqual({
      id: stored[0]!.id,
      joinWebUrl: stored[0]!.joinWebUrl,
      joinMeetingId: stored[0]!.joinMeetingId,
      passcode: stored[0]!.passcode,
      subject: 'Careers guidance',
      startDateTime: '2026-12-01T10:00:00.000Z',
      endDateTime: '2026-12-01T10:30:00.000Z',
      attendeeIds: [g.world.student.id, g.world.obrien.id],
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
      g.t.gateway.createOrGetMeeting(partner(), g.world.adviserNoPolicy.id, 'tc-appt-2', meetingInput()),
    );

    expect(error.code).toBe('ACCESS_POLICY_MISSING');
    expect(error.status).toBe(424);
    expect(error.remediation).toContain(
      `Grant-CsApplicationAccessPolicy -PolicyName "TARGETconnect-Teams-Meetings" -Identity "${g.world.adviserNoPolicy.id}"`,
    );
    expect(error.remediation).toContain(
      `New-CsApplicationAccessPolicy -Identity "TARGETconnect-Teams-Meetings" -AppIds "${APP_ID}"`,
    );
    expect(error.remediation).toContain('Steps 2-3');
    expect(error.remediation).toContain('MicrosoftTeams');
    expect(error.remediation).toContain('30 minutes');
    expect(g.sim.meetings()).toHaveLength(0);
  });

  it('recognises the policy refusal in its documented form too (code Forbidden, other case)', async () => {
    g.sim.injectFault({
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
      g.t.gateway.createOrGetMeeting(partner(), g.world.adviser.id, 'tc-x', meetingInput()),
    );
    expect(error.code).toBe('ACCESS_POLICY_MISSING');
  });

  it('PERMISSION_MISSING names OnlineMeetings.ReadWrite.All when only users may be read', async () => {
    seedGatewayWorld(g.sim, ['User.ReadBasic.All']);
    const error = await appError(
      g.t.gateway.createOrGetMeeting(partner(), g.world.adviser.id, 'tc-appt-3', meetingInput()),
    );

    expect(error.code).toBe('PERMISSION_MISSING');
    expect(error.detail).toContain('OnlineMeetings.ReadWrite.All');
    expect(error.detail).not.toContain('User.ReadBasic.All');
    expect(error.remediation).toContain('Step 1, items 9-17');
  });

  it('throws UnknownOrganizerError when Graph does not know the organizer id', async () => {
    const gone = '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d';
    const error = await g.t.gateway
      .createOrGetMeeting(partner(), gone, 'tc-appt-4', meetingInput())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnknownOrganizerError);
    expect((error as UnknownOrganizerError).organizerId).toBe(gone);
  });

  it('a 400 from Graph → GRAPH_ERROR with its code', async () => {
    const error = await appError(
      g.t.gateway.createOrGetMeeting(partner(), g.world.adviser.id, 'tc-appt-5', {
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
    const { meeting } = await g.adviserMeeting(p, 'tc-appt-6');
    expect(meeting.id).toMatch(/[/+=]/);

    expect(await g.t.gateway.getMeeting(p, g.world.adviser.id, meeting.id)).toEqual(meeting);
    expect(await g.t.gateway.getMeeting(p, g.world.adviser.id, `${meeting.id}x`)).toBeNull();
    const get = graphRequests(g.sim).find((r) => r.operation === 'onlineMeetings.get')!;
    expect(get.path).toBe(
      `/v1.0/users/${g.world.adviser.id}/onlineMeetings/${encodeURIComponent(meeting.id)}`,
    );
  });

  it('sets options with a PATCH in Graph terms, attendees as the full list', async () => {
    const p = partner();
    const { meeting } = await g.t.gateway.createOrGetMeeting(
      p,
      g.world.adviser.id,
      'tc-appt-7',
      meetingInput([g.world.student]),
    );

    const updated = await g.t.gateway.updateMeeting(p, g.world.adviser.id, meeting.id, {
      subject: 'Careers guidance (moved)',
      startDateTime: '2026-12-02T09:00:00Z',
      endDateTime: '2026-12-02T09:45:00Z',
      attendees: [{ id: g.world.obrien.id, userPrincipalName: g.world.obrien.userPrincipalName }],
      options: {
        lobbyBypassScope: 'invited',
        allowedPresenters: 'organizer',
        allowMeetingChat: 'limited',
        recordAutomatically: true,
      },
    });

    const patch = graphRequests(g.sim).find((r) => r.operation === 'onlineMeetings.update')!;
    expect(patch.method).toBe('PATCH');
    expect(patch.headers['prefer']).toBe('include-unknown-enum-members');
    expect(patch.body).toEqual({
      subject: 'Careers guidance (moved)',
      startDateTime: '2026-12-02T09:00:00Z',
      endDateTime: '2026-12-02T09:45:00Z',
      participants: {
        attendees: [
          {
            identity: { user: { id: g.world.obrien.id } },
            upn: 'obrien@careers-uni.ac.uk',
            role: 'attendee',
          },
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
      attendeeIds: [g.world.obrien.id],
      options: {
        lobbyBypassScope: 'invited',
        allowedPresenters: 'organizer',
        allowMeetingChat: 'limited',
        recordAutomatically: true,
      },
    });
    expect(g.sim.meetings()[0]).toMatchObject({ allowedPresenters: 'organizer', recordAutomatically: true });
  });

  it('a PATCH of a meeting Teams no longer has → MEETING_NOT_FOUND', async () => {
    const error = await appError(
      g.t.gateway.updateMeeting(partner(), g.world.adviser.id, 'gone-meeting', { subject: 'x' }),
    );
    expect(error.code).toBe('MEETING_NOT_FOUND');
  });

  it("deletes: 'deleted', then 'gone'", async () => {
    const p = partner();
    const { meeting } = await g.adviserMeeting(p, 'tc-appt-8');

    expect(await g.t.gateway.deleteMeeting(p, g.world.adviser.id, meeting.id)).toBe('deleted');
    expect(await g.t.gateway.deleteMeeting(p, g.world.adviser.id, meeting.id)).toBe('gone');
    expect(g.sim.meetings()).toHaveLength(0);
  });

  it('checks the access policy without creating anything', async () => {
    const p = partner();
    await expect(g.t.gateway.checkAccessPolicy(p, g.world.adviser.id)).resolves.toBeUndefined();
    const error = await appError(g.t.gateway.checkAccessPolicy(p, g.world.adviserNoPolicy.id));
    expect(error.code).toBe('ACCESS_POLICY_MISSING');
    expect(error.remediation).toContain(g.world.adviserNoPolicy.id);
    expect(g.sim.meetings()).toHaveLength(0);
  });

  it.each(['empty', 'notFound'] as const)(
    'takes a lookup that finds no meeting (%s) as past the policy, and a 404 about the user as an unknown id',
    async (miss) => {
      g.sim.setMeetingLookupMiss(miss);
      const p = partner();
      await expect(g.t.gateway.checkAccessPolicy(p, g.world.adviser.id)).resolves.toBeUndefined();
      const unknown = '0f0f0f0f-1111-4222-8333-444444444444';
      await expect(g.t.gateway.checkAccessPolicy(p, unknown)).rejects.toBeInstanceOf(UnknownOrganizerError);
    },
  );
});
