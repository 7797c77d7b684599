/**
 * Graph's online meetings of an organizer (OnlineMeetings.ReadWrite.All and the Teams access
 * policy): createOrGet by externalId, read, PATCH, DELETE, and the access-policy probe.
 */
import {
  MeetingGoneError,
  UnknownOrganizerError,
  type MeetingInput,
  type MeetingPatch,
  type TeamsMeeting,
} from '../../domain/microsoft.port';
import type { PartnerRecord } from '../../domain/partners/partner.record';
import type { GraphClient, GraphResponse } from './graph-client';
import { encodeSegment, isMeetingNotFound, meetingsPath, MEETING_HEADERS } from './graph-paths';
import { createOrGetBody, patchBody, toTeamsMeeting } from './meeting-mapper';
import { objectOr } from './json';
import { odataString } from './odata';

export class GraphOnlineMeetings {
  constructor(private readonly graph: GraphClient) {}

  private meetingOf(operation: string, response: GraphResponse): TeamsMeeting {
    const meeting = toTeamsMeeting(response.data);
    if (meeting === undefined) throw this.graph.unexpected({ operation }, response, 'no readable meeting');
    return meeting;
  }

  async createOrGetMeeting(
    partner: PartnerRecord,
    organizerId: string,
    externalId: string,
    input: MeetingInput,
  ): Promise<{ created: boolean; meeting: TeamsMeeting }> {
    const operation = 'onlineMeetings.createOrGet';
    const response = await this.graph.request({
      partner,
      operation,
      method: 'POST',
      path: `${meetingsPath(organizerId)}/createOrGet`,
      body: createOrGetBody(externalId, input),
      headers: MEETING_HEADERS,
      // Idempotent by (tenant, organizer, externalId): a repeat after a lost answer gets the same meeting.
      retry: 'safe',
      organizerId,
    });
    if (response.status === 201 || response.status === 200) {
      return { created: response.status === 201, meeting: this.meetingOf(operation, response) };
    }
    // The path user is an object id Graph does not know (deleted, or recreated with a new id).
    if (response.status === 404) throw new UnknownOrganizerError(organizerId);
    throw this.graph.fail({ partner, operation, organizerId }, response);
  }

  async getMeeting(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
  ): Promise<TeamsMeeting | null> {
    const operation = 'onlineMeetings.get';
    const response = await this.graph.request({
      partner,
      operation,
      method: 'GET',
      path: `${meetingsPath(organizerId)}/${encodeSegment(meetingId)}`,
      headers: MEETING_HEADERS,
      retry: 'safe',
      organizerId,
    });
    if (response.status === 404) return null;
    if (response.status !== 200) throw this.graph.fail({ partner, operation, organizerId }, response);
    return this.meetingOf(operation, response);
  }

  async updateMeeting(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
    patch: MeetingPatch,
  ): Promise<TeamsMeeting> {
    const operation = 'onlineMeetings.update';
    const body = patchBody(patch);
    const notFound = () => new MeetingGoneError();
    if (Object.keys(body).length === 0) {
      const meeting = await this.getMeeting(partner, organizerId, meetingId);
      if (meeting === null) throw notFound();
      return meeting;
    }
    const response = await this.graph.request({
      partner,
      operation,
      method: 'PATCH',
      path: `${meetingsPath(organizerId)}/${encodeSegment(meetingId)}`,
      body,
      headers: MEETING_HEADERS,
      // Full values only (start with end, the whole attendee list): sending it twice changes nothing more.
      retry: 'safe',
      organizerId,
    });
    if (response.status === 200) return this.meetingOf(operation, response);
    if (response.status === 204) {
      const meeting = await this.getMeeting(partner, organizerId, meetingId);
      if (meeting === null) throw notFound();
      return meeting;
    }
    if (response.status === 404) throw notFound();
    throw this.graph.fail({ partner, operation, organizerId }, response);
  }

  async deleteMeeting(
    partner: PartnerRecord,
    organizerId: string,
    meetingId: string,
  ): Promise<'deleted' | 'gone'> {
    const operation = 'onlineMeetings.delete';
    const response = await this.graph.request({
      partner,
      operation,
      method: 'DELETE',
      path: `${meetingsPath(organizerId)}/${encodeSegment(meetingId)}`,
      headers: MEETING_HEADERS,
      retry: 'safe',
      organizerId,
    });
    if (response.status === 204 || response.status === 200) return 'deleted';
    if (response.status === 404) return 'gone';
    throw this.graph.fail({ partner, operation, organizerId }, response);
  }

  /**
   * The organizer's meeting with this join link (a calendar event's Teams meeting); null when
   * there is none (yet: Graph's index can lag a few seconds behind a new event).
   */
  async findByJoinUrl(
    partner: PartnerRecord,
    organizerId: string,
    joinUrl: string,
  ): Promise<TeamsMeeting | null> {
    const response = await this.lookup(partner, organizerId, joinUrl);
    if (response === null) return null;
    const value = objectOr(response.data)['value'];
    if (!Array.isArray(value))
      throw this.graph.unexpected({ operation: 'onlineMeetings.list' }, response, 'no meeting list');
    if (value.length === 0) return null;
    const meeting = toTeamsMeeting(value[0]);
    if (!meeting)
      throw this.graph.unexpected({ operation: 'onlineMeetings.list' }, response, 'no readable meeting');
    return meeting;
  }

  async checkAccessPolicy(partner: PartnerRecord, organizerId: string): Promise<void> {
    // A lookup by a join URL nobody has: needs the same policy as a create, and makes nothing.
    await this.lookup(
      partner,
      organizerId,
      'https://teams.microsoft.com/l/meetup-join/teams-meetings-access-policy-check',
    );
  }

  /** `…/onlineMeetings?$filter=JoinWebUrl eq …`: the answer, or null when it found no meeting. */
  private async lookup(
    partner: PartnerRecord,
    organizerId: string,
    joinUrl: string,
  ): Promise<GraphResponse | null> {
    const operation = 'onlineMeetings.list';
    const response = await this.graph.request({
      partner,
      operation,
      method: 'GET',
      path: meetingsPath(organizerId),
      query: { $filter: `JoinWebUrl eq ${odataString(joinUrl)}` },
      headers: MEETING_HEADERS,
      retry: 'safe',
      organizerId,
    });
    if (response.status === 200) return response;
    if (response.status === 404) {
      // Graph does not document what a lookup that finds no meeting answers: an empty collection,
      // or 404 NotFound about the meeting. Either got past the access policy (only a 403 names a
      // missing one); a 404 about the user means Graph does not know the object id.
      if (isMeetingNotFound(response.data)) return null;
      throw new UnknownOrganizerError(organizerId);
    }
    throw this.graph.fail({ partner, operation, organizerId }, response);
  }
}
