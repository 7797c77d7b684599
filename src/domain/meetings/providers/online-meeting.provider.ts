/**
 * Standalone Teams meetings (`onlineMeeting` mode, the default): Graph's online meetings of the
 * organizer, made with createOrGet by the appointment's externalId. On nobody's calendar:
 * TARGETconnect sends `meeting.ics`.
 */
import type { MicrosoftGateway } from '../../microsoft.port';
import type { MeetingProvider } from '../meeting-provider.port';

export function onlineMeetingProvider(gateway: MicrosoftGateway): MeetingProvider {
  return {
    createOrGet: (partner, organizerId, externalId, input) =>
      gateway.createOrGetMeeting(partner, organizerId, externalId, input),
    get: (partner, organizerId, meetingId) => gateway.getMeeting(partner, organizerId, meetingId),
    update: (partner, organizerId, meetingId, patch) =>
      gateway.updateMeeting(partner, organizerId, meetingId, patch),
    remove: (partner, organizerId, meetingId) => gateway.deleteMeeting(partner, organizerId, meetingId),
  };
}
