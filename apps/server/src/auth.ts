/** Bearer-token authentication: tokens and roles come from configuration. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal, Role } from '@ocs/api';

export type { Principal } from '@ocs/api';

const digest = (value: string) => createHash('sha256').update(value).digest();

export class TokenAuthenticator {
  readonly #tokens: { digest: Buffer; role: Role }[];

  constructor(tokens: readonly { token: string; role: Role }[]) {
    this.#tokens = tokens.map(({ token, role }) => ({ digest: digest(token), role }));
  }

  /**
   * The principal for an `Authorization` header, or null. Digests make every comparison
   * the same length, and every configured token is compared, so timing reveals nothing.
   */
  authenticate(header: string | undefined): Principal | null {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) return null;
    const presented = digest(match[1]);
    let found: Principal | null = null;
    for (const { digest: known, role } of this.#tokens) {
      if (timingSafeEqual(known, presented) && !found) found = { role };
    }
    return found;
  }
}
