// The caller's own email choices in this organization:
// GET/PUT /organizations/{org}/members/me/notifications (If-Match).
import { useEffect, useState } from "preact/hooks";
import { orgPath, useOrg, useSession } from "../session";
import { Async, FormError, useAction, useLoad } from "../ui";

interface Notifications {
  email: Record<string, boolean>;
  locked: string[];
}

const LABELS: Record<string, string> = {
  invitations: "Invitations I sent or received",
  billing: "Renewals and charges",
  low_balance: "Low credit balance",
  security: "Security (API keys, roles, ownership)",
  app_status: "Apps stopped or started",
};

export function NotificationsSection() {
  const s = useSession();
  const { org } = useOrg();
  const path = orgPath(org.id, "members/me/notifications");
  const state = useLoad(() => s.api.call<Notifications>("GET", path), [path]);
  const [email, setEmail] = useState<Record<string, boolean>>({});
  const [saved, setSaved] = useState(false);
  const act = useAction();
  // Once per version (its ETag), not every fetch: a reload keeps the edits.
  useEffect(() => {
    if (state.data) setEmail(state.data.body.email);
  }, [state.data?.etag]);
  return (
    <>
      <h2>My email notifications</h2>
      <Async state={state} what="your notification settings">
        {({ body, etag }) => (
          <form
            class="card form"
            onSubmit={async (e) => {
              e.preventDefault();
              setSaved(false);
              const ok = await act.run(async () => state.set(await s.api.call<Notifications>("PUT", path, { email }, etag ? { "If-Match": etag } : {})));
              setSaved(ok);
            }}
          >
            <fieldset>
              <legend>Email me about</legend>
              {Object.keys(body.email).map((k) => {
                const locked = body.locked.includes(k);
                return (
                  <label class="check" key={k}>
                    <input type="checkbox" checked={email[k] ?? true} disabled={locked} onChange={(e) => setEmail({ ...email, [k]: e.currentTarget.checked })} />
                    {LABELS[k] ?? k}
                    {locked && <small class="hint"> (owners always get these)</small>}
                  </label>
                );
              })}
            </fieldset>
            <FormError problem={act.problem} />
            {saved && (
              <p class="notice" role="status">
                Saved.
              </p>
            )}
            <button type="submit" disabled={act.busy}>
              Save notifications
            </button>
          </form>
        )}
      </Async>
    </>
  );
}
