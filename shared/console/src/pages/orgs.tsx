import { useState } from "preact/hooks";
import { Gauges, type Gauge } from "../charts";
import { navigate } from "../router";
import { orgPath, useOrg, useSession } from "../session";
import type { AppInstance, Organization, Subscription, Wallet } from "../types";
import { Async, credits, Empty, Field, FormError, useAction, useLoad, when } from "../ui";
import type { ActivityEvent } from "./activity";

export function CreateOrgPage() {
  const s = useSession();
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [description, setDescription] = useState("");
  const act = useAction();
  return (
    <section>
      <h1>New organization</h1>
      <form
        class="card form"
        onSubmit={async (e) => {
          e.preventDefault();
          let id = "";
          const ok = await act.run(async () => {
            const body: Record<string, string> = { name: name.trim() };
            if (slug.trim()) body.slug = slug.trim();
            if (description.trim()) body.description = description.trim();
            const org = await s.api.post<Organization>("/organizations", body);
            id = org.id;
            await s.api.put("/me/active-organization", { organization_id: id });
            await s.refresh();
          });
          if (ok) navigate(orgPath(id));
        }}
      >
        <Field label="Name" name="name" problem={act.problem}>
          {(id, d, bad) => <input id={id} required value={name} aria-describedby={d} aria-invalid={bad} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label="Slug (optional)" name="slug" problem={act.problem} hint="3–48 characters a–z, 0–9 and hyphens; made from the name when empty.">
          {(id, d, bad) => <input id={id} value={slug} aria-describedby={d} aria-invalid={bad} onInput={(e) => setSlug(e.currentTarget.value)} />}
        </Field>
        <Field label="Description (optional)" name="description" problem={act.problem}>
          {(id, d, bad) => (
            <textarea id={id} value={description} aria-describedby={d} aria-invalid={bad} onInput={(e) => setDescription(e.currentTarget.value)} />
          )}
        </Field>
        <FormError problem={act.problem} />
        <button type="submit" disabled={act.busy}>
          Create organization
        </button>
      </form>
    </section>
  );
}

interface Dashboard {
  organization: { id: string; name: string; slug: string; plan: string };
  counts: Record<"members" | "projects" | "api_keys" | "apps" | "roles", Gauge> & { pending_invitations: number };
  warnings: { code: string; message: string; resource: string | null }[];
  recent_activity: ActivityEvent[];
  running_apps: { count: number; more: boolean; data: AppInstance[] };
  wallet: Wallet | null;
  subscription: Subscription | null;
}

/**
 * The organization at a glance (GET …/dashboard, one call): counts against
 * the plan, what wants attention, the newest activity, running apps, the
 * wallet, and quick actions. Parts a role may not read come back empty.
 */
export function OverviewPage() {
  const s = useSession();
  const { org, can } = useOrg();
  const state = useLoad(() => s.api.get<Dashboard>(orgPath(org.id, "dashboard")), [org.id]);
  return (
    <section>
      <h1>{org.name}</h1>
      <Async state={state} what="the dashboard">
        {(d) => (
          <>
            <p class="hint">
              {d.organization.slug} · {d.organization.plan} plan · your role: {org.role}
            </p>
            {d.warnings.map((w) => (
              <p class="notice" role="status" key={w.code + (w.resource ?? "")}>
                {w.message}
              </p>
            ))}
            <Gauges gauges={d.counts} names={["members", "projects", "api_keys", "apps"]} />
            <div class="two">
              <div class="card">
                <h2>Recent activity</h2>
                {!can("activity:read") ? (
                  <Empty>Your role does not show the activity log.</Empty>
                ) : d.recent_activity.length === 0 ? (
                  <Empty>Nothing yet.</Empty>
                ) : (
                  <ul class="feed">
                    {d.recent_activity.map((e) => (
                      <li key={e.id}>
                        <code>{e.action}</code> by {e.actor.name || e.actor.id}
                        {e.targets.length > 0 && ` on ${e.targets.map((t) => t.name || t.id).join(", ")}`}{" "}
                        <small class="hint">{when(e.occurred_at)}</small>
                      </li>
                    ))}
                  </ul>
                )}
                {can("activity:read") && <a href={orgPath(org.id, "activity")}>All activity</a>}
              </div>
              <div class="card">
                <h2>Running apps</h2>
                {d.running_apps.data.length === 0 ? (
                  <Empty>No app is running.</Empty>
                ) : (
                  <ul class="feed">
                    {d.running_apps.data.map((a) => (
                      <li key={a.id}>
                        <a href={`${orgPath(org.id, "apps")}/${a.id}`}>{a.name}</a> <small class="hint">last active {when(a.last_active_at)}</small>
                      </li>
                    ))}
                  </ul>
                )}
                {d.wallet && (
                  <p>
                    Wallet: <strong>{credits(d.wallet.balance)}</strong>
                    {d.subscription && ` · ${d.subscription.plan} plan, ${d.subscription.status.replace("_", " ")}`}
                  </p>
                )}
              </div>
            </div>
            <h2>Quick actions</h2>
            <ul class="quick">
              {can("projects:create") && <li><a href={orgPath(org.id, "projects")}>Create a project</a></li>}
              {can("members:invite") && <li><a href={orgPath(org.id, "members")}>Invite a teammate</a></li>}
              {can("api_keys:manage") && <li><a href={orgPath(org.id, "api-keys")}>Create an API key</a></li>}
              {can("apps:manage") && <li><a href={orgPath(org.id, "marketplace")}>Install an app</a></li>}
              {can("billing:manage") && <li><a href={orgPath(org.id, "billing")}>Top up credits</a></li>}
            </ul>
          </>
        )}
      </Async>
    </section>
  );
}
