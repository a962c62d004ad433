import { useEffect, useState } from "preact/hooks";
import { navigate } from "../router";
import { orgPath, useOrg, useSession } from "../session";
import type { Organization } from "../types";
import { BillingDetailsForm } from "./billingdetails";
import { ExportsSection } from "./exports";
import { NotificationsSection } from "./notifications";
import { Async, Confirm, ErrorBanner, Field, useAction, useLoad } from "../ui";

export function SettingsPage() {
  const s = useSession();
  const { org, can } = useOrg();
  const state = useLoad(() => s.api.call<Organization>("GET", orgPath(org.id)), [org.id]);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [logo, setLogo] = useState("");
  const [billingEmail, setBillingEmail] = useState("");
  const [saved, setSaved] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const act = useAction();
  // The form takes the org's fields when an org or a version of it
  // arrives, not on every fetch: a reload of the same version keeps what
  // the user typed.
  const loaded = state.data?.body;
  useEffect(() => {
    const o = state.data?.body;
    if (o) {
      setName(o.name);
      setDescription(o.description);
      setLogo(o.logo_url ?? "");
      setBillingEmail(o.billing_email ?? "");
    }
  }, [loaded?.id, loaded?.version]);
  const editable = can("organization:update");
  return (
    <section>
      <h1>Settings</h1>
      <Async state={state} what="the settings">
        {({ body: o, etag }) => (
          <>
            <form
              class="card form"
              onSubmit={async (e) => {
                e.preventDefault();
                setSaved(false);
                const ok = await act.run(async () => {
                  const r = await s.api.patch<Organization>(
                    orgPath(org.id),
                    { name: name.trim(), description: description.trim(), logo_url: logo.trim() || null, billing_email: billingEmail.trim() || null },
                    etag,
                  );
                  state.set(r);
                  await s.refresh();
                });
                setSaved(ok);
              }}
            >
              <Field label="Organization name" name="name" problem={act.problem}>
                {(id, d, bad) => <input id={id} required readOnly={!editable} value={name} aria-describedby={d} aria-invalid={bad} onInput={(e) => setName(e.currentTarget.value)} />}
              </Field>
              <Field label="Description" name="description" problem={act.problem}>
                {(id, d, bad) => (
                  <textarea id={id} readOnly={!editable} value={description} aria-describedby={d} aria-invalid={bad} onInput={(e) => setDescription(e.currentTarget.value)} />
                )}
              </Field>
              <Field label="Logo URL" name="logo_url" problem={act.problem} hint="An https:// address of an image.">
                {(id, d, bad) => (
                  <input id={id} type="url" readOnly={!editable} value={logo} aria-describedby={d} aria-invalid={bad} onInput={(e) => setLogo(e.currentTarget.value)} />
                )}
              </Field>
              <Field label="Billing email" name="billing_email" problem={act.problem} hint="Billing mail (renewals, low balance) goes here instead of to the owners.">
                {(id, d, bad) => (
                  <input id={id} type="email" readOnly={!editable} value={billingEmail} aria-describedby={d} aria-invalid={bad} onInput={(e) => setBillingEmail(e.currentTarget.value)} />
                )}
              </Field>
              <p class="hint">
                Slug: <code>{o.slug}</code> · plan: {o.plan}
              </p>
              <ErrorBanner problem={act.problem && act.problem.errors.length === 0 ? act.problem : null} onRetry={act.problem?.status === 412 ? () => (act.setProblem(null), state.reload()) : undefined} />
              {saved && (
                <p class="notice" role="status">
                  Saved.
                </p>
              )}
              {editable && (
                <button type="submit" disabled={act.busy}>
                  Save settings
                </button>
              )}
            </form>
            <h2>Billing details</h2>
            <BillingDetailsForm
              org={o}
              etag={etag}
              editable={editable}
              onSaved={(r) => {
                state.set(r);
              }}
            />
            <NotificationsSection />
            {can("organization:export") && <ExportsSection />}
            <h2>Leave or delete</h2>
            <div class="card danger-zone">
              <button type="button" class="secondary" onClick={() => setLeaving(true)}>
                Leave {o.name}
              </button>
              {can("organization:delete") && (
                <button type="button" class="danger" onClick={() => setDeleting(true)}>
                  Delete organization
                </button>
              )}
            </div>
            {leaving && (
              <Confirm
                title={`Leave ${o.name}?`}
                body={<p>You lose access at once; someone must invite you again. The last owner cannot leave.</p>}
                action="Leave organization"
                onConfirm={async () => {
                  await s.api.post(`${orgPath(org.id)}/leave`);
                  await s.refresh();
                  navigate("/");
                }}
                onClose={() => setLeaving(false)}
              />
            )}
            {deleting && (
              <Confirm
                title={`Delete ${o.name}?`}
                body={<p>Every project, member, key, app and credit of this organization is removed for good.</p>}
                action="Delete organization"
                typed={o.slug}
                onConfirm={async () => {
                  await s.api.del(orgPath(org.id), { confirm_slug: o.slug });
                  await s.refresh();
                  navigate("/");
                }}
                onClose={() => setDeleting(false)}
              />
            )}
          </>
        )}
      </Async>
    </section>
  );
}
