import { Router } from 'express';
import type { MeetingService } from '../../domain/meeting.service';
import { partnerIdOf } from '../middleware/auth';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import { parseOrThrow } from '../schemas/common';
import {
  appointmentParamsSchema,
  createMeetingSchema,
  updateMeetingSchema,
} from '../schemas/meeting.schemas';

export function meetingRoutes(meetings: MeetingService): Router {
  const router = Router();

  router
    .route('/appointments/meeting')
    .post(async (req, res) => {
      const partnerId = partnerIdOf(req);
      const body = parseOrThrow(createMeetingSchema, req.body, 'body');
      const { created, meeting } = await meetings.create(partnerId, body);
      req.log.info(
        { partnerId, created, attendees: meeting.attendees.length },
        created ? 'meeting created' : 'meeting replayed',
      );
      res.status(created ? 201 : 200).json(meeting);
    })
    .all(methodNotAllowed('POST'));

  router
    .route('/appointments/:appointmentId/meeting')
    .get(async (req, res) => {
      const { appointmentId } = parseOrThrow(appointmentParamsSchema, req.params, 'params');
      res.json(await meetings.get(partnerIdOf(req), appointmentId));
    })
    .patch(async (req, res) => {
      const partnerId = partnerIdOf(req);
      const { appointmentId } = parseOrThrow(appointmentParamsSchema, req.params, 'params');
      const body = parseOrThrow(updateMeetingSchema, req.body, 'body');
      const meeting = await meetings.update(partnerId, appointmentId, body);
      req.log.info({ partnerId, fields: Object.keys(body) }, 'meeting updated');
      res.json(meeting);
    })
    .delete(async (req, res) => {
      const partnerId = partnerIdOf(req);
      const { appointmentId } = parseOrThrow(appointmentParamsSchema, req.params, 'params');
      await meetings.cancel(partnerId, appointmentId);
      req.log.info({ partnerId }, 'meeting cancelled');
      res.status(204).end();
    })
    .all(methodNotAllowed('GET, PATCH, DELETE'));

  return router;
}
