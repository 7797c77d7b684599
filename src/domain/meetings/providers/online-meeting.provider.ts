/**
 * Standalone Teams meetings (`onlineMeeting` mode, the default): Graph's online meetings of the
 * organizer, made with createOrGet by the appointment's externalId (idempotent by itself). On
 * nobody's calendar: TARGETconnect sends `meeting.ics`.
 */
import type { MicrosoftGateway } from '../../microsoft.port';
import type { MeetingProvider } from '../meeting-provider.port';

export function onlineMeetingProvider(gateway: MicrosoftGateway): MeetingProvider {
  return {
    createOrGet: (partner, organizerId, externalId, input) =>
      gateway.createOrGetMeeting(partner, organizerId, externalId, input),
    get: (partner, organizerId, ref) => gateway.getMeeting(partner, organizerId, ref.meetingId),
    update: (partner, organizerId, ref, patch) =>
      gateway.updateMeeting(partner, organizerId, ref.meetingId, patch),
    remove: (partner, organizerId, ref) => gateway.deleteMeeting(partner, organizerId, ref.meetingId),
  };
}
