// Where the invitation email's link lands: /invitations/{token}. A preview
// anyone with the link may see; accepting needs the invited address.
import { useState } from "preact/hooks";
import type { API } from "../api";
import type { Auth } from "../auth";
import type { Config } from "../config";
import { navigate } from "../router";
import { orgPath } from "../session";
import type { InvitationPreview, Me } from "../types";
import { Async, ErrorBanner, useAction, useLoad, when } from "../ui";
import { SignInPage } from "./signin";

const ENDED: Record<string, string> = {
  accepted: "This invitation has already been used. If it was yours, you are a member: sign in to find the organization.",
  declined: "This invitation was declined. Ask the person who invited you to send a new one.",
  revoked: "This invitation was withdrawn by the organization. Ask them to send a new one if you still need access.",
  expired: "This invitation has expired (invitations last 7 days). Ask the person who invited you to send it again.",
};

export function InvitationPage(props: {
  cfg: Config;
  auth: Auth;
  api: API;
  token: string;
  signedIn: boolean;
  onSignedIn: () => void;
  onSignOut: () => void;
}) {
  const path = `/invitations/${encodeURIComponent(props.token)}`;
  const preview = useLoad(() => props.api.get<InvitationPreview>(path), [props.token]);
  const me = useLoad(() => (props.signedIn ? props.api.get<Me>("/me") : Promise.resolve(null)), [props.signedIn]);
  const act = useAction();
  const [declined, setDeclined] = useState(false);
  const [signingIn, setSigningIn] = useState(false);

  return (
    <main class="centered">
      <section class="card narrow">
        <h1>Invitation</h1>
        <Async state={preview} what="the invitation">
          {(inv) => {
            if (declined) return <p role="status">You declined the invitation to {inv.organization_name}. Nothing else changed.</p>;
            if (inv.status !== "pending") {
              return (
                <>
                  <p>
                    <strong>{inv.organization_name}</strong>
                  </p>
                  <p class="notice" role="status">
                    {ENDED[inv.status] ?? `This invitation is ${inv.status}.`}
                  </p>
                  <a href="/">Go to the console</a>
                </>
              );
            }
            return (
              <>
                <p>
                  <strong>{inv.inviter_name}</strong> invited you to join <strong>{inv.organization_name}</strong> as{" "}
                  <strong>{inv.role}</strong>.
                </p>
                <p class="hint">The invitation expires {when(inv.expires_at)}.</p>
                {!props.signedIn && !signingIn && (
                  <>
                    <p>Sign in with the address the invitation was sent to, then accept or decline it.</p>
                    <button type="button" onClick={() => setSigningIn(true)}>
                      Sign in to respond
                    </button>
                  </>
                )}
                {!props.signedIn && signingIn && (
                  <SignInPage
                    cfg={props.cfg}
                    auth={props.auth}
                    onSignedIn={props.onSignedIn}
                  />
                )}
                {props.signedIn && me.data && (
                  <>
                    <p>
                      Signed in as <strong>{me.data.email}</strong>.{" "}
                      <button type="button" class="link" onClick={props.onSignOut}>
                        Not you? Sign out
                      </button>
                    </p>
                    <ErrorBanner problem={act.problem} />
                    <div class="actions">
                      <button
                        type="button"
                        class="secondary"
                        disabled={act.busy}
                        onClick={() =>
                          act.run(async () => {
                            await props.api.post(`${path}/decline`);
                            setDeclined(true);
                          })
                        }
                      >
                        Decline
                      </button>
                      <button
                        type="button"
                        disabled={act.busy}
                        onClick={() =>
                          act.run(async () => {
                            const r = await props.api.post<{ organization_id: string }>(`${path}/accept`);
                            await props.api.put("/me/active-organization", { organization_id: r.organization_id });
                            // A full load: the console starts over in the new org.
                            navigate(orgPath(r.organization_id), true);
                            location.reload();
                          })
                        }
                      >
                        Accept and join
                      </button>
                    </div>
                  </>
                )}
                {props.signedIn && me.error && <ErrorBanner problem={me.error} onRetry={me.reload} />}
              </>
            );
          }}
        </Async>
      </section>
    </main>
  );
}
