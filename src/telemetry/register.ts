/**
 * Imported by the entry points right after node-version.ts, before anything else: starts tracing
 * (tracing.ts) when the environment asks for it, before http, express and pg are loaded.
 */
import { startTracing } from './tracing';

export const tracing = startTracing();
