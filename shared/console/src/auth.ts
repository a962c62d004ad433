// Sign-in. Locally: the dev issuer's POST /dev/token (email, name). In AWS:
// the Cognito user pool's hosted sign-in, authorization code + PKCE, with
// oidc-client-ts (loaded only then). The ID token is kept in session
// storage for this tab: never in a cookie the API would trust.
import { Problem } from "./api";
import type { Config } from "./config";
import type { UserManager } from "oidc-client-ts";

const TOKEN_KEY = "orgplane.token";
const RETURN_KEY = "orgplane.returnTo";

export class Auth {
  private manager: Promise<UserManager> | null = null;
  constructor(private cfg: Config) {}

  token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  signedIn(): boolean {
    return this.token() !== null;
  }

  /** Remembers where to go once signed in (e.g. an invitation's page). */
  rememberReturn(path: string): void {
    sessionStorage.setItem(RETURN_KEY, path);
  }

  takeReturn(): string | null {
    const p = sessionStorage.getItem(RETURN_KEY);
    sessionStorage.removeItem(RETURN_KEY);
    return p && p.startsWith("/") && !p.startsWith("//") ? p : null;
  }

  /** Local stack only: a dev token for email. */
  async devSignIn(email: string, name: string): Promise<void> {
    const res = await fetch(`${this.cfg.apiUrl}/dev/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(name ? { email, name } : { email }),
    }).catch(() => null);
    if (!res) throw new Problem(0, { detail: "The local stack cannot be reached. Is `make run` running?" });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Problem(res.status, body);
    sessionStorage.setItem(TOKEN_KEY, body.token);
  }

  private oidc(): Promise<UserManager> {
    this.manager ??= import("oidc-client-ts").then(({ UserManager, WebStorageStateStore }) => {
      const store = new WebStorageStateStore({ store: sessionStorage });
      return new UserManager({
        authority: this.cfg.oidcAuthority!,
        client_id: this.cfg.oidcClientId!,
        redirect_uri: `${location.origin}/auth/callback`,
        post_logout_redirect_uri: `${location.origin}/signin`,
        response_type: "code",
        scope: "openid email profile",
        userStore: store,
        stateStore: store,
        automaticSilentRenew: false,
        metadataSeed: this.cfg.oidcDomain
          ? {
              authorization_endpoint: `${this.cfg.oidcDomain}/oauth2/authorize`,
              token_endpoint: `${this.cfg.oidcDomain}/oauth2/token`,
              end_session_endpoint: `${this.cfg.oidcDomain}/logout`,
            }
          : undefined,
      });
    });
    return this.manager;
  }

  /** AWS: off to the hosted sign-in page (code + PKCE). */
  async oidcSignIn(loginHint?: string): Promise<void> {
    const m = await this.oidc();
    await m.signinRedirect(loginHint ? { login_hint: loginHint } : undefined);
  }

  /** AWS: back from the hosted page with ?code=…; keeps the ID token. */
  async oidcCallback(): Promise<void> {
    const m = await this.oidc();
    const user = await m.signinRedirectCallback();
    if (!user.id_token) throw new Error("The sign-in returned no ID token.");
    sessionStorage.setItem(TOKEN_KEY, user.id_token);
  }

  signOut(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    if (this.cfg.auth === "oidc" && this.manager) {
      void this.manager.then((m) => m.removeUser());
    }
  }
}
