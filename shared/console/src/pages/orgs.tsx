import { useState } from "preact/hooks";
import { Radial } from "../charts";
import { navigate } from "../router";
import { orgPath, useOrg, useSession } from "../session";
import type { Organization } from "../types";
import { Async, Field, FormError, useAction, useLoad } from "../ui";

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

/** The organization at a glance: counts against the plan, quick actions. */
export function OverviewPage() {
  const s = useSession();
  const { org, can } = useOrg();
  const state = useLoad(() => s.api.get<Organization>(orgPath(org.id)), [org.id]);
  return (
    <section>
      <h1>{org.name}</h1>
      <Async state={state} what="the organization">
        {(o) => (
          <>
            <p class="hint">
              {o.slug} · {o.plan} plan · your role: {org.role}
            </p>
            {o.wallet_status === "missing" && (
              <p class="notice" role="status">
                This organization has no wallet yet; it is being created. Reload in a moment.
              </p>
            )}
            {(o.warnings ?? []).map((w) => (
              <p class="notice" role="status" key={w.resource}>
                {w.resource.replace("_", " ")}: {w.usage} of {w.limit} used. Consider upgrading the plan.
              </p>
            ))}
            <div class="radials">
              <Radial label="Members" used={o.member_count + o.pending_invitation_count} limit={o.limits.members} />
              <Radial label="Projects" used={o.project_count} limit={o.limits.projects} />
              <Radial label="API keys" used={o.api_key_count} limit={o.limits.api_keys} />
              <Radial label="Apps" used={o.app_count} limit={o.limits.apps} />
            </div>
            <h2>Quick actions</h2>
            <ul class="quick">
              {can("projects:create") && <li><a href={orgPath(o.id, "projects")}>Create a project</a></li>}
              {can("members:invite") && <li><a href={orgPath(o.id, "members")}>Invite a teammate</a></li>}
              {can("api_keys:manage") && <li><a href={orgPath(o.id, "api-keys")}>Create an API key</a></li>}
              {can("apps:manage") && <li><a href={orgPath(o.id, "marketplace")}>Install an app</a></li>}
              {can("billing:manage") && <li><a href={orgPath(o.id, "billing")}>Top up credits</a></li>}
            </ul>
          </>
        )}
      </Async>
    </section>
  );
}
