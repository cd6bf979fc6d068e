/**
 * The notifier protocols, by the name the configuration uses. A new protocol is one module
 * implementing `NotifierProtocol` and one line here.
 */
import { z } from 'zod';
import { legacy } from './legacy.js';
import type { NotifierProtocol } from './protocol.js';
import { v1 } from './v1.js';

export const protocols = {
  v1,
  legacy,
} as const satisfies Record<string, NotifierProtocol>;

type ProtocolName = keyof typeof protocols;

export const protocolNames = Object.keys(protocols) as [ProtocolName, ...ProtocolName[]];

/** The `protocol` option, and the NOTIFIER_PROTOCOL the apps, bench and fault suite accept. */
export const protocolSchema = z.enum(protocolNames);

export type Protocol = z.infer<typeof protocolSchema>;

export type { NotifierProtocol, ProtocolOptions, ProtocolSender, SendContext } from './protocol.js';
