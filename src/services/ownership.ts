// Who may change a record: its creator or an admin. Reading stays lab-wide. Used for explanations,
// and meant for every record that keeps a `createdBy` (studies, too).
import { identityOf, type Principal } from '../auth.js';
import { ForbiddenError } from '../errors.js';

/** Throws ForbiddenError unless the principal created the record or is an admin. Records from before
 *  ownership was recorded (`createdBy` null) are admins' only. */
export function assertMayChange(principal: Principal, record: { createdBy: string | null }, what: string, action: string): void {
  if (principal.role === 'ADMIN') return;
  if (record.createdBy !== null && record.createdBy === identityOf(principal)) return;
  throw new ForbiddenError(`only the creator of this ${what} or an admin may ${action} it`);
}
