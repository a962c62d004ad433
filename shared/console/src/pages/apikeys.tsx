import { useState } from "preact/hooks";
import { qs, type Page } from "../api";
import { orgPath, useOrg, useSession } from "../session";
import type { APIKey, APIKeyWithSecret, PermissionGroup, Project } from "../types";
import { Async, Confirm, DialogActions, Empty, ErrorBanner, Field, FilterSelect, Modal, SecretOnce, StatusBadge, Table, useAction, useLoad, usePaged, when } from "../ui";

// Permissions an ai_agent key may never hold (API.md).
const AGENT_FORBIDDEN = ["api_keys:manage", "roles:manage", "billing:manage", "organization:delete", "organization:transfer"];

export function APIKeysPage() {
  const s = useSession();
  const { org, can } = useOrg();
  const base = orgPath(org.id, "api-keys");
  const [type, setType] = useState("");
  const [status, setStatus] = useState("");
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<APIKey | null>(null);
  const [rotated, setRotated] = useState<APIKeyWithSecret | null>(null);
  const [reason, setReason] = useState("");
  const rotate = useAction();
  const { state, pager } = usePaged((cursor) => s.api.get<Page<APIKey>>(base + qs({ type, status, cursor, limit: 20 })), [org.id, type, status]);
  return (
    <section>
      <div class="heading">
        <h1>API keys</h1>
        {can("api_keys:manage") && (
          <button type="button" onClick={() => setCreating(true)}>
            Create API key
          </button>
        )}
      </div>
      <p class="hint">Standard keys are for integrations; AI agent keys are short-lived, capped and rate-limited harder.</p>
      <div class="filters" role="search">
        <FilterSelect label="Type" name="type" value={type} onChange={setType} options={[["", "Any type"], ["standard", "Standard"], ["ai_agent", "AI agent"]]} />
        <FilterSelect label="Status" name="status" value={status} onChange={setStatus} options={[["", "Any status"], ["active", "Active"], ["rotating", "Rotating"], ["revoked", "Revoked"], ["expired", "Expired"]]} />
      </div>
      <ErrorBanner problem={rotate.problem} />
      {rotated && <SecretOnce label="New secret" secret={rotated.secret} />}
      <Async state={state} what="API keys">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No API keys{type || status ? " match" : " yet"}.</Empty>
          ) : (
            <Table caption="API keys" columns={["Name", "Key", "Type", "Created", "Last used", "Status", ""]}>
                {page.data.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>
                      <code>
                        {k.prefix}…{k.last_four}
                      </code>
                    </td>
                    <td>{k.type === "ai_agent" ? "AI agent" : "Standard"}</td>
                    <td>{when(k.created_at)}</td>
                    <td>{when(k.last_used_at)}</td>
                    <td>
                      <StatusBadge status={k.status} />
                    </td>
                    <td class="row-actions">
                      {can("api_keys:manage") && (k.status === "active" || k.status === "rotating") && (
                        <>
                          <button
                            type="button"
                            class="secondary"
                            aria-label={`Rotate ${k.name}`}
                            disabled={rotate.busy}
                            onClick={() =>
                              rotate.run(async () => {
                                setRotated(await s.api.post<APIKeyWithSecret>(`${base}/${k.id}/rotate`, { grace_period_seconds: 86400 }));
                                state.reload();
                              })
                            }
                          >
                            Rotate
                          </button>
                          <button type="button" class="danger" aria-label={`Revoke ${k.name}`} onClick={() => setRevoking(k)}>
                            Revoke
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
            </Table>
          )
        }
      </Async>
      {pager}
      {creating && <CreateKey onClose={() => setCreating(false)} onCreated={state.reload} />}
      {revoking && (
        <Confirm
          title={`Revoke ${revoking.name}?`}
          body={
            <>
              <p>The key stops working on the very next request. This cannot be undone: create a new key if needed.</p>
              <Field label="Reason (optional)" name="reason">
                {(id) => <input id={id} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
              </Field>
            </>
          }
          action="Revoke key"
          onConfirm={async () => {
            await s.api.del(`${base}/${revoking.id}`, reason.trim() ? { reason: reason.trim() } : undefined);
            setReason("");
            state.reload();
          }}
          onClose={() => setRevoking(null)}
        />
      )}
    </section>
  );
}

function CreateKey(props: { onClose: () => void; onCreated: () => void }) {
  const s = useSession();
  const { org } = useOrg();
  const [name, setName] = useState("");
  const [type, setType] = useState<"standard" | "ai_agent">("standard");
  const [project, setProject] = useState("");
  const [agent, setAgent] = useState("");
  const [perms, setPerms] = useState<Set<string>>(new Set(["organization:read"]));
  const [created, setCreated] = useState<APIKeyWithSecret | null>(null);
  const act = useAction();
  const catalog = useLoad(() => s.api.get<{ data: PermissionGroup[] }>("/permissions"), []);
  const projects = useLoad(() => s.api.get<Page<Project>>(`${orgPath(org.id, "projects")}?limit=100&sort=name`), [org.id]);
  const held = new Set(org.permissions);
  const allowed = (p: string) => held.has(p) && !(type === "ai_agent" && AGENT_FORBIDDEN.includes(p));
  if (created) {
    return (
      <Modal title={`API key ${created.name} created`} onClose={props.onClose}>
        <SecretOnce label="API key secret" secret={created.secret} />
        <div class="actions">
          <button type="button" onClick={props.onClose}>
            Done
          </button>
        </div>
      </Modal>
    );
  }
  return (
    <Modal title="Create an API key" onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          await act.run(async () => {
            const body: Record<string, unknown> = { name: name.trim(), type, permissions: [...perms].filter(allowed) };
            if (project) body.project_id = project;
            if (type === "ai_agent") body.agent = { name: agent.trim() };
            setCreated(await s.api.post<APIKeyWithSecret>(orgPath(org.id, "api-keys"), body));
            props.onCreated();
          });
        }}
      >
        <Field label="Key name" name="name" problem={act.problem}>
          {(id, d, bad) => <input id={id} required value={name} aria-describedby={d} aria-invalid={bad} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label="Type" name="type" problem={act.problem}>
          {(id, d) => (
            <select id={id} value={type} aria-describedby={d} onChange={(e) => setType(e.currentTarget.value as "standard" | "ai_agent")}>
              <option value="standard">Standard</option>
              <option value="ai_agent">AI agent (expires in 30 days)</option>
            </select>
          )}
        </Field>
        {type === "ai_agent" && (
          <Field label="Agent name" name="agent.name" problem={act.problem}>
            {(id, d, bad) => <input id={id} required value={agent} aria-describedby={d} aria-invalid={bad} onInput={(e) => setAgent(e.currentTarget.value)} />}
          </Field>
        )}
        <Field label="Project" name="project_id" problem={act.problem} hint="A project key reaches only that project's routes.">
          {(id, d) => (
            <select id={id} value={project} aria-describedby={d} onChange={(e) => setProject(e.currentTarget.value)}>
              <option value="">Whole organization</option>
              {(projects.data?.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Async state={catalog} what="permissions">
          {(cat) => (
            <fieldset>
              <legend>Permissions (at most your own)</legend>
              <div class="checks">
                {cat.data.flatMap((g) => g.permissions).filter(allowed).map((p) => (
                  <label key={p} class="check">
                    <input
                      type="checkbox"
                      checked={perms.has(p)}
                      onChange={(e) => {
                        const n = new Set(perms);
                        if (e.currentTarget.checked) n.add(p);
                        else n.delete(p);
                        setPerms(n);
                      }}
                    />
                    <code>{p}</code>
                  </label>
                ))}
              </div>
            </fieldset>
          )}
        </Async>
        <DialogActions problem={act.problem} busy={act.busy} submit="Create key" onCancel={props.onClose} />
      </form>
    </Modal>
  );
}
