/**
 * The notifier protocols, by the name the configuration uses. A new protocol is one module
 * implementing `NotifierProtocol`, its name in `names.ts` and one line here.
 */
import { legacy } from './legacy.js';
import type { Protocol } from './names.js';
import type { NotifierProtocol } from './protocol.js';
import { v1 } from './v1.js';

export const protocols: { readonly [name in Protocol]: NotifierProtocol } = {
  v1,
  legacy,
};

export { type Protocol, protocolNames, protocolSchema } from './names.js';
export type { NotifierProtocol, ProtocolOptions, ProtocolSender, SendContext } from './protocol.js';
