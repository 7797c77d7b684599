import {
  accessToken,
  APP_ID,
  attendee,
  graphClient,
  meetingBody,
  seedSimulatorWorld,
  simulatorPerTest,
  TENANT_ID,
  type GraphErrorBody,
} from '../support/simulator-world';

const s = simulatorPerTest();

function meetingsOf(userId: string): string {
  return `/users/${userId}/onlineMeetings`;
}

function meetingPath(userId: string, meetingId: string): string {
  return `${meetingsOf(userId)}/${encodeURIComponent(meetingId)}`;
}

function errorOf(data: unknown): GraphErrorBody['error'] {
  return (data as GraphErrorBody).error;
}

async function createOrGet(externalId: string, extra: Record<string, unknown> = {}) {
  return s.graph.post(`${meetingsOf(s.world.adviser.id)}/createOrGet`, meetingBody({ externalId, ...extra }));
}

describe('creating online meetings', () => {
  it('creates a meeting (201) with Teams defaults, UTC times and the organizer from the path', async () => {
    const response = await s.graph.post(
      meetingsOf(s.world.adviser.id),
      meetingBody({ participants: { attendees: [attendee(s.world.student)] } }),
    );

    expect(response.status).toBe(201);
    const meeting = response.data;
    expect(meeting).toMatchObject({
      subject: 'Careers appointment',
      startDateTime: '2026-03-02T09:00:00Z',
      endDateTime: '2026-03-02T09:30:00Z',
      externalId: null,
      joinWebUrl: expect.stringMatching(
        /^https:\/\/teams\.microsoft\.com\/l\/meetup-join\/19%3ameeting_.+%40thread\.v2\/0\?context=/,
      ),
      joinMeetingIdSettings: {
        joinMeetingId: expect.stringMatching(/^\d{12}$/),
        passcode: expect.any(String),
        isPasscodeRequired: true,
      },
      chatInfo: { threadId: expect.stringMatching(/^19:meeting_.+@thread\.v2$/), messageId: '0' },
      lobbyBypassSettings: { scope: 'organization', isDialInBypassEnabled: false },
      allowedPresenters: 'everyone',
      allowMeetingChat: 'enabled',
      recordAutomatically: false,
      participants: {
        organizer: {
          upn: 'a.adviser@uni.ac.uk',
          role: 'presenter',
          identity: { user: { id: s.world.adviser.id, tenantId: TENANT_ID, displayName: 'Ada Adviser' } },
        },
        attendees: [
          { upn: 's1234@uni.ac.uk', role: 'attendee', identity: { user: { id: s.world.student.id } } },
        ],
      },
    });
    // Ids are opaque and hold characters that must be percent-encoded in a path.
    expect(meeting.id).toMatch(/[/+=]/);
    expect(s.h.sim.meetings({ tenantId: TENANT_ID, userId: s.world.adviser.id })).toMatchObject([
      { id: meeting.id, organizerId: s.world.adviser.id, appId: APP_ID },
    ]);
  });

  it('takes the options a plain create accepts', async () => {
    const response = await s.graph.post(
      meetingsOf(s.world.adviser.id),
      meetingBody({
        lobbyBypassSettings: { scope: 'everyone', isDialInBypassEnabled: true },
        allowedPresenters: 'organizer',
        allowMeetingChat: 'limited',
        recordAutomatically: true,
        isEntryExitAnnounced: false,
        allowAttendeeToEnableCamera: false,
        allowAttendeeToEnableMic: false,
      }),
    );

    expect(response.status).toBe(201);
    expect(response.data).toMatchObject({
      lobbyBypassSettings: { scope: 'everyone', isDialInBypassEnabled: true },
      allowedPresenters: 'organizer',
      allowMeetingChat: 'limited',
      recordAutomatically: true,
      isEntryExitAnnounced: false,
      allowAttendeeToEnableCamera: false,
      allowAttendeeToEnableMic: false,
    });
  });

  it('refuses externalId on a plain create, an unknown property and a bad enum value with 400', async () => {
    const answers = await Promise.all([
      s.graph.post(meetingsOf(s.world.adviser.id), meetingBody({ externalId: 'x' })),
      s.graph.post(meetingsOf(s.world.adviser.id), meetingBody({ colour: 'blue' })),
      s.graph.post(meetingsOf(s.world.adviser.id), meetingBody({ allowedPresenters: 'nobody' })),
      s.graph.post(meetingsOf(s.world.adviser.id), meetingBody({ startDateTime: 'tomorrow' })),
    ]);
    for (const response of answers) {
      expect(response.status).toBe(400);
      expect(errorOf(response.data).code).toBe('BadRequest');
    }
    expect(s.h.sim.meetings()).toEqual([]);
  });

  it('answers 500 (as Graph does) for an attendee without upn', async () => {
    const response = await s.graph.post(
      meetingsOf(s.world.adviser.id),
      meetingBody({ participants: { attendees: [{ identity: { user: { id: s.world.student.id } } }] } }),
    );

    expect(response.status).toBe(500);
    expect(errorOf(response.data).code).toBe('InternalServerError');
    expect(s.h.sim.meetings()).toEqual([]);
  });

  it('refuses an organizer other than the path user', async () => {
    const response = await s.graph.post(
      meetingsOf(s.world.adviser.id),
      meetingBody({ participants: { organizer: attendee(s.world.student, 'presenter') } }),
    );
    expect(response.status).toBe(400);

    const same = await s.graph.post(
      meetingsOf(s.world.adviser.id),
      meetingBody({ participants: { organizer: { identity: { user: { id: s.world.adviser.id } } } } }),
    );
    expect(same.status).toBe(201);
  });

  it('needs the Entra object id in the path: a UPN, an email or an unknown user is 404', async () => {
    for (const ref of [
      'a.adviser@uni.ac.uk',
      'Ada.Adviser@uni.ac.uk',
      '6a0e2f1c-0000-4000-8000-000000000000',
    ]) {
      const response = await s.graph.post(meetingsOf(encodeURIComponent(ref)), meetingBody());
      expect(response.status).toBe(404);
    }
    expect(s.h.sim.meetings()).toEqual([]);
  });
});

describe('application access policy', () => {
  it('answers 403 "No application access policy found for this app" until the policy is granted', async () => {
    const refused = await s.graph.post(meetingsOf(s.world.student.id), meetingBody());
    expect(refused.status).toBe(403);
    expect(errorOf(refused.data)).toMatchObject({
      code: 'General',
      message: 'No application access policy found for this app.',
    });
    // Reads are guarded too, so the service can probe the policy without creating anything.
    const probe = await s.graph.get(
      `${meetingsOf(s.world.student.id)}?$filter=${encodeURIComponent("JoinWebUrl eq 'x'")}`,
    );
    expect(probe.status).toBe(403);

    s.h.sim.grantPolicy(TENANT_ID, s.world.student.id, APP_ID);
    expect((await s.graph.post(meetingsOf(s.world.student.id), meetingBody())).status).toBe(201);

    s.h.sim.revokePolicy(TENANT_ID, s.world.student.id);
    expect((await s.graph.post(meetingsOf(s.world.student.id), meetingBody())).status).toBe(403);
  });

  it('accepts a tenant-wide (global) grant for the app', async () => {
    s.h.sim.grantGlobalPolicy(TENANT_ID, APP_ID);
    expect((await s.graph.post(meetingsOf(s.world.obrien.id), meetingBody())).status).toBe(201);
  });

  it('answers 403 (not the policy message) without OnlineMeetings.ReadWrite.All', async () => {
    seedSimulatorWorld(s.h.sim, ['User.ReadBasic.All']);
    s.h.sim.grantPolicy(TENANT_ID, s.world.adviser.id, APP_ID);
    const noMeetings = graphClient(s.h, await accessToken(s.h.http));

    const response = await noMeetings.post(meetingsOf(s.world.adviser.id), meetingBody());

    expect(response.status).toBe(403);
    expect(errorOf(response.data).message).not.toMatch(/application access policy/i);
  });
});

describe('createOrGet', () => {
  it('makes the meeting once (201) and then returns the same one (200) for the same externalId', async () => {
    const first = await createOrGet('appointment-42');
    const again = await createOrGet('appointment-42', { subject: 'Changed subject is ignored' });

    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.data.id).toBe(first.data.id);
    expect(again.data.joinWebUrl).toBe(first.data.joinWebUrl);
    expect(again.data.subject).toBe('Careers appointment');
    expect(s.h.sim.meetings()).toHaveLength(1);
  });

  it('keeps one meeting when the same createOrGet arrives many times at once', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => createOrGet('appointment-race')));

    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.data.id)).size).toBe(1);
    expect(s.h.sim.meetings()).toHaveLength(1);
  });

  it('scopes externalId by organizer', async () => {
    s.h.sim.grantPolicy(TENANT_ID, s.world.student.id, APP_ID);
    await createOrGet('shared-id');
    const other = await s.graph.post(
      `${meetingsOf(s.world.student.id)}/createOrGet`,
      meetingBody({ externalId: 'shared-id' }),
    );

    expect(other.status).toBe(201);
    expect(s.h.sim.meetings()).toHaveLength(2);
  });

  it('requires externalId and ignores options other than its five parameters', async () => {
    const missing = await s.graph.post(`${meetingsOf(s.world.adviser.id)}/createOrGet`, meetingBody());
    expect(missing.status).toBe(400);

    const made = await createOrGet('with-options', {
      allowedPresenters: 'organizer',
      recordAutomatically: true,
    });
    expect(made.status).toBe(201);
    expect(made.data).toMatchObject({
      allowedPresenters: 'everyone',
      recordAutomatically: false,
      externalId: 'with-options',
    });
  });

  it('defaults to now and one hour when no times are given', async () => {
    const made = await s.graph.post(`${meetingsOf(s.world.adviser.id)}/createOrGet`, {
      externalId: 'no-times',
    });

    const start = Date.parse(made.data.startDateTime);
    expect(Math.abs(start - Date.now())).toBeLessThan(5000);
    expect(Date.parse(made.data.endDateTime) - start).toBe(3_600_000);
  });
});

describe('reading, updating and deleting', () => {
  it('gets a meeting by its percent-encoded id; the raw id does not route', async () => {
    const made = await createOrGet('get-me');

    const found = await s.graph.get(meetingPath(s.world.adviser.id, made.data.id));
    expect(found.status).toBe(200);
    expect(found.data.id).toBe(made.data.id);
    expect(s.h.sim.requests().at(-1)?.params).toEqual({
      userId: s.world.adviser.id,
      meetingId: made.data.id,
    });

    const raw = await s.graph.get(`${meetingsOf(s.world.adviser.id)}/${made.data.id}`);
    expect(raw.status).not.toBe(200);
  });

  it('finds a meeting by JoinWebUrl, exactly as Graph gave it', async () => {
    const made = await createOrGet('by-url');
    const filter = `JoinWebUrl eq '${made.data.joinWebUrl}'`;

    const found = await s.graph.get(
      `${meetingsOf(s.world.adviser.id)}?$filter=${encodeURIComponent(filter)}`,
    );
    expect(found.status).toBe(200);
    expect(found.data.value.map((m: { id: string }) => m.id)).toEqual([made.data.id]);

    // Not percent-encoding the filter decodes the URL's own escapes, and nothing matches.
    const sloppy = await s.graph.get(
      `${meetingsOf(s.world.adviser.id)}?$filter=${filter.replace(/ /g, '%20')}`,
    );
    expect(sloppy.data.value).toEqual([]);
  });

  it('updates subject, times (together) and the full attendee list, keeping the join link', async () => {
    const made = await createOrGet('patch-me', { participants: { attendees: [attendee(s.world.student)] } });
    const path = meetingPath(s.world.adviser.id, made.data.id);

    const patched = await s.graph.patch(path, {
      subject: 'Rescheduled',
      startDateTime: '2026-03-03T14:00:00Z',
      endDateTime: '2026-03-03T14:45:00.5Z',
      participants: { attendees: [attendee(s.world.obrien)] },
      lobbyBypassSettings: { scope: 'organizer' },
    });

    expect(patched.status).toBe(200);
    expect(patched.data).toMatchObject({
      id: made.data.id,
      joinWebUrl: made.data.joinWebUrl,
      joinMeetingIdSettings: made.data.joinMeetingIdSettings,
      subject: 'Rescheduled',
      startDateTime: '2026-03-03T14:00:00Z',
      endDateTime: '2026-03-03T14:45:00.5000000Z',
      lobbyBypassSettings: { scope: 'organizer', isDialInBypassEnabled: false },
      participants: { attendees: [{ upn: 'obrien@uni.ac.uk' }] },
    });
    expect((await s.graph.get(path)).data.subject).toBe('Rescheduled');
  });

  it('refuses start without end, and a new organizer', async () => {
    const made = await createOrGet('patch-rules');
    const path = meetingPath(s.world.adviser.id, made.data.id);

    expect((await s.graph.patch(path, { startDateTime: '2026-03-03T14:00:00Z' })).status).toBe(400);
    expect(
      (await s.graph.patch(path, { participants: { organizer: attendee(s.world.student) } })).status,
    ).toBe(400);
  });

  it('deletes (204), then the meeting is 404 NotFound', async () => {
    const made = await createOrGet('delete-me');
    const path = meetingPath(s.world.adviser.id, made.data.id);

    const deleted = await s.graph.delete(path);
    expect(deleted.status).toBe(204);
    expect(deleted.data).toBe('');
    expect(s.h.sim.meetings()).toEqual([]);

    for (const response of [await s.graph.get(path), await s.graph.delete(path)]) {
      expect(response.status).toBe(404);
      expect(errorOf(response.data).code).toBe('NotFound');
    }
  });

  it("does not show another organizer's meeting", async () => {
    s.h.sim.grantPolicy(TENANT_ID, s.world.student.id, APP_ID);
    const made = await createOrGet('mine');

    expect((await s.graph.get(meetingPath(s.world.student.id, made.data.id))).status).toBe(404);
  });
});

describe('evolvable enum members', () => {
  it('refuses invited / coorganizer without Prefer: include-unknown-enum-members', async () => {
    const lobby = await s.graph.post(
      meetingsOf(s.world.adviser.id),
      meetingBody({ lobbyBypassSettings: { scope: 'invited' } }),
    );
    const role = await s.graph.post(
      meetingsOf(s.world.adviser.id),
      meetingBody({ participants: { attendees: [attendee(s.world.student, 'coorganizer')] } }),
    );
    expect(lobby.status).toBe(400);
    expect(role.status).toBe(400);
  });

  it('accepts them with the header, and reads them back as unknownFutureValue without it', async () => {
    const prefer = { headers: { Prefer: 'include-unknown-enum-members' } };
    const made = await s.graph.post(
      meetingsOf(s.world.adviser.id),
      meetingBody({
        lobbyBypassSettings: { scope: 'organizationExcludingGuests' },
        participants: { attendees: [attendee(s.world.student, 'coorganizer')] },
      }),
      prefer,
    );
    expect(made.status).toBe(201);
    expect(made.data.lobbyBypassSettings.scope).toBe('organizationExcludingGuests');
    expect(made.data.participants.attendees[0].role).toBe('coorganizer');

    const plain = await s.graph.get(meetingPath(s.world.adviser.id, made.data.id));
    expect(plain.data.lobbyBypassSettings.scope).toBe('unknownFutureValue');
    expect(plain.data.participants.attendees[0].role).toBe('unknownFutureValue');
  });
});
