import type { Request, Response } from 'express';
import { AppError } from '../../domain/errors';

/** The last handler of a route: the path exists, the method does not. */
export function methodNotAllowed(allow: string) {
  return (req: Request, res: Response): never => {
    res.setHeader('Allow', allow);
    throw new AppError('METHOD_NOT_ALLOWED', { detail: `${req.method} is not allowed here; use ${allow}.` });
  };
}
