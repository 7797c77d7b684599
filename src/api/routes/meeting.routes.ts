import { Router } from 'express';
import type { MeetingService } from '../../domain/meetings/meeting.service';
import type { AttendanceService } from '../../domain/meetings/attendance';
import type { Access } from '../middleware/access';
import { partnerOf } from '../middleware/auth';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { parseOrThrow } from '../schemas/common';
import { calendarInvite } from '../calendar-invite';
import {
  appointmentParamsSchema,
  createMeetingSchema,
  inviteQuerySchema,
  updateMeetingSchema,
} from '../schemas/meeting.schemas';

/** The meeting endpoints: partner key only. */
export function meetingRoutes(
  meetings: MeetingService,
  attendance: AttendanceService,
  access: Access,
): Router {
  // Strict: /partners/ is not /partners (the contract has no trailing-slash paths).
  const router = Router({ strict: true });

  router
    .route('/appointments/meeting')
    .all(access.partner)
    .post(async (req, res) => {
      const partner = partnerOf(req);
      const body = parseOrThrow(createMeetingSchema, req.body, 'body');
      const { created, meeting } = await meetings.create(partner, body);
      req.log.info(
        { partnerId: partner.id, created, attendees: meeting.attendees.length },
        created ? 'meeting created' : 'meeting replayed',
      );
      res.status(created ? 201 : 200).json(meeting);
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/appointments/:appointmentId/meeting')
    .all(access.partner)
    .get(async (req, res) => {
      const { appointmentId } = parseOrThrow(appointmentParamsSchema, req.params, 'params');
      res.json(await meetings.get(partnerOf(req), appointmentId));
    })
    .patch(async (req, res) => {
      const partner = partnerOf(req);
      const { appointmentId } = parseOrThrow(appointmentParamsSchema, req.params, 'params');
      const body = parseOrThrow(updateMeetingSchema, req.body, 'body');
      const meeting = await meetings.update(partner, appointmentId, body);
      req.log.info({ partnerId: partner.id, fields: Object.keys(body) }, 'meeting updated');
      res.json(meeting);
    })
    .delete(async (req, res) => {
      const partner = partnerOf(req);
      const { appointmentId } = parseOrThrow(appointmentParamsSchema, req.params, 'params');
      const outcome = await meetings.cancel(partner, appointmentId);
      if (outcome.lock === 'failed') {
        // Deleted all the same; its link may stay joinable in Teams, open as it was.
        req.log.warn(
          { partnerId: partner.id, code: outcome.code },
          'meeting deleted without being locked first',
        );
      }
      req.log.info({ partnerId: partner.id, lock: outcome.lock }, 'meeting cancelled');
      res.status(204).end();
    })
    .all(methodNotAllowed('GET, PATCH, DELETE'));

  router
    .route('/appointments/:appointmentId/meeting.ics')
    .all(access.partner)
    .get(async (req, res) => {
      const { appointmentId } = parseOrThrow(appointmentParamsSchema, req.params, 'params');
      const query = parseOrThrow(inviteQuerySchema, req.query, 'query');
      const invite = calendarInvite(await meetings.get(partnerOf(req), appointmentId), query.for);
      res.setHeader('Content-Type', `text/calendar; charset=utf-8; method=${invite.method}`);
      res.setHeader('Content-Disposition', 'inline; filename="meeting.ics"');
      res.setHeader('Cache-Control', 'no-store');
      res.send(invite.text);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/appointments/:appointmentId/attendance')
    .all(access.partner)
    .get(async (req, res) => {
      const partner = partnerOf(req);
      const { appointmentId } = parseOrThrow(appointmentParamsSchema, req.params, 'params');
      const view = await attendance.get(partner, appointmentId);
      req.log.info(
        { partnerId: partner.id, state: view.state, sessions: view.sessions.length },
        'attendance read',
      );
      res.json(view);
    })
    .all(methodNotAllowed('GET'));

  return router;
}
