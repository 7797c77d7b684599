/** Jest's global set-up: a Node older than 24 stops the run with one line before a test loads SQLite. */
import { requireSupportedNode } from '../../src/node-version';

export default function globalSetup(): void {
  requireSupportedNode();
}
