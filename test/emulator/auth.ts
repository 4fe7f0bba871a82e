/*
 * Sessions: access tokens in the `00D…!…` form sfdx-core accepts, refresh tokens, expiry on demand.
 */
import { randomBytes } from 'node:crypto';

/** `connectedAppId`: the connected app the session came through (event logs' CONNECTED_APP_ID) */
export type Session = { accessToken: string; userId: string; expired: boolean; refreshToken?: string; connectedAppId?: string };

export class Sessions {
  private readonly byToken = new Map<string, Session>();
  private readonly refresh = new Map<string, string>();
  /** the connected app each user's sessions come through, where the seed names one */
  private readonly apps = new Map<string, string>();

  public constructor(private readonly orgId: string) {}

  /** A new access token for a user; `fixed` lets a seed or test choose it. */
  public issue(userId: string, fixed?: string): Session {
    const accessToken = fixed ?? `${this.orgId.slice(0, 15)}!AQ${randomBytes(24).toString('base64url')}`;
    const app = this.apps.get(userId);
    const session: Session = { accessToken, userId, expired: false, ...(app ? { connectedAppId: app } : {}) };
    this.byToken.set(accessToken, session);
    return session;
  }

  /** The user's sessions, from now on, come through this connected app. */
  public useConnectedApp(userId: string, connectedAppId: string): void {
    this.apps.set(userId, connectedAppId);
  }

  public issueRefreshToken(userId: string, fixed?: string): string {
    const token = fixed ?? `5Aep${randomBytes(30).toString('base64url')}`;
    this.refresh.set(token, userId);
    return token;
  }

  public userOfRefreshToken(token: string): string | undefined {
    return this.refresh.get(token);
  }

  public lookup(token: string | undefined): Session | undefined {
    return token ? this.byToken.get(token) : undefined;
  }

  /** Expires every current session: clients must refresh (or fail) from now on. */
  public expireAll(): number {
    let n = 0;
    for (const s of this.byToken.values()) {
      if (!s.expired) n++;
      s.expired = true;
    }
    return n;
  }

  /** Revokes every refresh token and expires every session (a token revoked in Setup, a password reset): no refresh works. */
  public revokeAll(): number {
    this.refresh.clear();
    return this.expireAll();
  }

  public list(): Session[] {
    return [...this.byToken.values()];
  }
}
