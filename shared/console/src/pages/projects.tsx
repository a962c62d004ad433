import { useState } from "preact/hooks";
import { etagOf, qs, type Page } from "../api";
import { orgPath, useOrg, useSession } from "../session";
import type { Project } from "../types";
import { Async, Confirm, DialogActions, Empty, ErrorBanner, Field, FilterSelect, Modal, Table, useAction, usePaged, when } from "../ui";

export function ProjectsPage() {
  const s = useSession();
  const { org, can } = useOrg();
  const [q, setQ] = useState("");
  const [sort, setSort] = useState("name");
  const [hasKeys, setHasKeys] = useState("");
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Project | null>(null);
  const [deleting, setDeleting] = useState<Project | null>(null);
  const activate = useAction();
  const base = orgPath(org.id, "projects");
  const { state, pager } = usePaged(
    (cursor) => s.api.get<Page<Project>>(base + qs({ q, sort, has_api_keys: hasKeys, cursor, limit: 20 })),
    [org.id, q, sort, hasKeys],
  );
  const active = s.me.active_organization_id === org.id ? s.me.active_project_id : null;
  return (
    <section>
      <div class="heading">
        <h1>Projects</h1>
        {can("projects:create") && (
          <button type="button" onClick={() => setCreating(true)}>
            New project
          </button>
        )}
      </div>
      <div class="filters" role="search">
        <Field label="Search by name" name="q">
          {(id) => <input id={id} type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />}
        </Field>
        <FilterSelect label="Sort by" name="sort" value={sort} onChange={setSort} options={[["name", "Name"], ["-updated_at", "Last updated"]]} />
        <FilterSelect label="API keys" name="has_api_keys" value={hasKeys} onChange={setHasKeys} options={[["", "Any"], ["true", "With API keys"], ["false", "Without API keys"]]} />
      </div>
      <ErrorBanner problem={activate.problem} />
      <Async state={state} what="projects">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>{q || hasKeys ? "No project matches." : "No projects yet. Create one to start."}</Empty>
          ) : (
            <Table caption="Projects" columns={["Name", "Description", "API keys", "Updated", ""]}>
                {page.data.map((p) => (
                  <tr key={p.id}>
                    <td>
                      {p.name} {p.id === active && <span class="badge badge-active">active</span>}
                    </td>
                    <td>{p.description || "—"}</td>
                    <td>{p.api_key_count}</td>
                    <td>{when(p.updated_at)}</td>
                    <td class="row-actions">
                      {p.id !== active && (
                        <button
                          type="button"
                          class="secondary"
                          aria-label={`Set active: ${p.name}`}
                          onClick={() =>
                            activate.run(async () => {
                              await s.api.put("/me/active-project", { project_id: p.id });
                              await s.refresh();
                            })
                          }
                        >
                          Set active
                        </button>
                      )}
                      {(can("projects:manage") || (can("projects:manage_own") && p.created_by === s.me.id)) && (
                        <>
                          <button type="button" class="secondary" aria-label={`Edit ${p.name}`} onClick={() => setEditing(p)}>
                            Edit
                          </button>
                          <button type="button" class="danger" aria-label={`Delete ${p.name}`} onClick={() => setDeleting(p)}>
                            Delete
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
      {creating && <ProjectForm onClose={() => setCreating(false)} onSaved={state.reload} />}
      {editing && <ProjectForm project={editing} onClose={() => setEditing(null)} onSaved={state.reload} />}
      {deleting && (
        <Confirm
          title={`Delete ${deleting.name}?`}
          body={<p>The project and its settings are removed. Project API keys stop working. This cannot be undone.</p>}
          action="Delete project"
          onConfirm={async () => {
            await s.api.del(`${base}/${deleting.id}`);
            await s.refresh();
            state.reload();
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </section>
  );
}

function ProjectForm(props: { project?: Project; onClose: () => void; onSaved: () => void }) {
  const s = useSession();
  const { org } = useOrg();
  const [name, setName] = useState(props.project?.name ?? "");
  const [description, setDescription] = useState(props.project?.description ?? "");
  const act = useAction();
  const base = orgPath(org.id, "projects");
  return (
    <Modal title={props.project ? `Edit ${props.project.name}` : "New project"} onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await act.run(async () => {
            if (props.project) {
              await s.api.patch(`${base}/${props.project.id}`, { name: name.trim(), description }, etagOf(props.project.version));
            } else {
              const body: Record<string, string> = { name: name.trim() };
              if (description.trim()) body.description = description.trim();
              await s.api.post(base, body);
            }
          });
          if (ok) {
            props.onSaved();
            props.onClose();
          }
        }}
      >
        <Field label="Project name" name="name" problem={act.problem}>
          {(id, d, bad) => <input id={id} required value={name} aria-describedby={d} aria-invalid={bad} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label="Description" name="description" problem={act.problem}>
          {(id, d, bad) => <textarea id={id} value={description} aria-describedby={d} aria-invalid={bad} onInput={(e) => setDescription(e.currentTarget.value)} />}
        </Field>
        <DialogActions problem={act.problem} busy={act.busy} submit={props.project ? "Save" : "Create project"} onCancel={props.onClose} />
      </form>
    </Modal>
  );
}
