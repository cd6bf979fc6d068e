/**
 * The protocol names NOTIFIER_PROTOCOL accepts, on their own (zod only), so the wire contract
 * (`@ocs/notifier-client/contract`) can validate a record's protocol without loading the
 * client. Each name has its module in this folder, registered in `index.ts`; the compiler
 * fails when a name has no module or a module no name.
 */
import { z } from 'zod';

export const protocolNames = ['v1', 'legacy'] as const;

/** The `protocol` option, and the NOTIFIER_PROTOCOL the apps, bench and fault suite accept. */
export const protocolSchema = z.enum(protocolNames);

export type Protocol = z.infer<typeof protocolSchema>;
