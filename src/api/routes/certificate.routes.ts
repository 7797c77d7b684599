/**
 * A partner's certificate credentials (API: "Certificates"): admin key or its setup link.
 */
import { Router } from 'express';
import type { CertificateService } from '../../domain/partners/certificate.service';
import type { Access } from '../middleware/access';
import { methodNotAllowed } from '../middleware/method-not-allowed';
import {
  certificateCreateSchema,
  certificateParamsSchema as certificateParams,
} from '../schemas/certificate.schemas';
import { parseOrThrow, partnerParamsSchema as partnerParams } from '../schemas/common';

export function certificateRoutes(certificates: CertificateService, access: Access): Router {
  // Strict: /partners/ is not /partners (the contract has no trailing-slash paths).
  const router = Router({ strict: true });

  router
    .route('/partners/:partnerId/certificates')
    .all(access.setup)
    .post(async (req, res) => {
      const { partnerId } = parseOrThrow(partnerParams, req.params, 'params');
      const body = parseOrThrow(certificateCreateSchema, req.body ?? {}, 'body');
      const request =
        body.certificatePem !== undefined && body.privateKeyPem !== undefined
          ? {
              certificatePem: body.certificatePem,
              privateKeyPem: body.privateKeyPem,
              privateKeyPassphrase: body.privateKeyPassphrase,
            }
          : { validityDays: body.validityDays };
      const { created, certificate } = await certificates.create(partnerId, request);
      req.log.info(
        {
          partnerId,
          certificateId: certificate.id,
          thumbprint: certificate.thumbprint,
          source: certificate.source,
        },
        created ? 'certificate added' : 'certificate already stored',
      );
      res.status(created ? 201 : 200).json(certificate);
    })
    .get(async (req, res) => {
      const { partnerId } = parseOrThrow(partnerParams, req.params, 'params');
      res.json({ certificates: await certificates.list(partnerId) });
    })
    .all(methodNotAllowed('GET, POST'));

  router
    .route('/partners/:partnerId/certificates/:certificateId/file')
    .all(access.setup)
    .get(async (req, res) => {
      const { partnerId, certificateId } = parseOrThrow(certificateParams, req.params, 'params');
      const { filename, pem } = await certificates.file(partnerId, certificateId);
      res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
      res.type('application/x-pem-file').send(pem);
    })
    .all(methodNotAllowed('GET'));

  router
    .route('/partners/:partnerId/certificates/:certificateId')
    // Deleting a credential is the admin's: a setup link makes and reads certificates only.
    .all(access.admin)
    .delete(async (req, res) => {
      const { partnerId, certificateId } = parseOrThrow(certificateParams, req.params, 'params');
      await certificates.delete(partnerId, certificateId);
      req.log.info({ partnerId, certificateId }, 'certificate deleted');
      res.status(204).end();
    })
    .all(methodNotAllowed('DELETE'));

  return router;
}
