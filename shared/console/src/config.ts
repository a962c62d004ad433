// Runtime configuration, written beside the build by whoever serves it:
// the local stack's console server, or the CDK stack (config.json in S3).
// One build runs everywhere; nothing about an environment is compiled in.
export interface Config {
  /** The public API's base URL, without a trailing slash. */
  apiUrl: string;
  /** "dev": the local stack's /dev/token sign-in; "oidc": code + PKCE. */
  auth: "dev" | "oidc";
  /** For "oidc": the issuer (Cognito user pool) and the app client. */
  oidcAuthority?: string;
  oidcClientId?: string;
  /** For "oidc" with Cognito's hosted UI: its domain (https://…). */
  oidcDomain?: string;
}

export async function loadConfig(): Promise<Config> {
  const res = await fetch("/config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  const c = (await res.json()) as Config;
  c.apiUrl = c.apiUrl.replace(/\/+$/, "");
  return c;
}
