import { useEffect, useState } from "preact/hooks";
import { qs } from "../api";
import { navigate } from "../router";
import { orgPath, useOrg, useSession } from "../session";
import type { PermissionGroup, Role, RoleList } from "../types";
import { Async, Confirm, Empty, Field, FormError, Table, useAction, useLoad } from "../ui";

export function RolesPage() {
  const s = useSession();
  const { org, can } = useOrg();
  const base = orgPath(org.id, "roles");
  const state = useLoad(() => s.api.get<RoleList>(base), [org.id]);
  const [deleting, setDeleting] = useState<Role | null>(null);
  const [reassign, setReassign] = useState("member");
  return (
    <section>
      <div class="heading">
        <h1>Roles</h1>
        {can("roles:manage") && <a class="button" href={`${base}/new`}>New role</a>}
      </div>
      <p class="hint">Owner 100, Admin 80, Member 10; custom roles sit between 11 and 79. You can give and edit only roles below your own level.</p>
      <Async state={state} what="roles">
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No roles.</Empty>
          ) : (
            <Table caption="Roles" columns={["Role", "Level", "Members", "Pending invitations", "Permissions", ""]}>
                {list.data.map((r) => (
                  <tr key={r.id}>
                    <td>
                      {r.name} {r.built_in && <span class="badge">built-in</span>}
                      {r.description && <small class="hint block">{r.description}</small>}
                    </td>
                    <td>{r.level}</td>
                    <td>{r.member_count}</td>
                    <td>{r.invitation_count}</td>
                    <td>{r.permissions.length}</td>
                    <td class="row-actions">
                      {r.can_edit && (
                        <>
                          <a class="button secondary" href={`${base}/${r.id}`} aria-label={`Edit ${r.name}`}>
                            Edit
                          </a>
                          <button type="button" class="danger" aria-label={`Delete ${r.name}`} onClick={() => setDeleting(r)}>
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
      {deleting && (
        <Confirm
          title={`Delete the role ${deleting.name}?`}
          body={
            deleting.member_count + deleting.invitation_count > 0 ? (
              <>
                <p>
                  {deleting.member_count} members and {deleting.invitation_count} pending invitations hold it. They move to:
                </p>
                <Field label="Move them to" name="reassign_to">
                  {(id) => (
                    <select id={id} value={reassign} onChange={(e) => setReassign(e.currentTarget.value)}>
                      {(state.data?.data ?? [])
                        .filter((r) => r.can_assign && r.id !== deleting.id)
                        .map((r) => (
                          <option key={r.id} value={r.id}>
                            {r.name}
                          </option>
                        ))}
                    </select>
                  )}
                </Field>
              </>
            ) : (
              <p>Nobody holds it. This cannot be undone.</p>
            )
          }
          action="Delete role"
          onConfirm={async () => {
            const inUse = deleting.member_count + deleting.invitation_count > 0;
            await s.api.del(`${base}/${deleting.id}${inUse ? qs({ reassign_to: reassign }) : ""}`);
            state.reload();
          }}
          onClose={() => setDeleting(null)}
        />
      )}
    </section>
  );
}

/** Create (no id) or edit a custom role: permissions as checkboxes. */
export function RoleEditPage({ id }: { id?: string }) {
  const s = useSession();
  const { org, role: mine } = useOrg();
  const base = orgPath(org.id, "roles");
  const catalog = useLoad(() => s.api.get<{ data: PermissionGroup[] }>("/permissions"), []);
  const existing = useLoad(async () => (id ? await s.api.call<Role>("GET", `${base}/${id}`) : null), [id]);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [level, setLevel] = useState(40);
  const [perms, setPerms] = useState<Set<string>>(new Set(["organization:read"]));
  const [saved, setSaved] = useState<string | null>(null);
  const act = useAction();
  useEffect(() => {
    const r = existing.data?.body;
    if (r) {
      setName(r.name);
      setDescription(r.description);
      setLevel(r.level);
      setPerms(new Set(r.permissions));
    }
    // A role or a version of it (its ETag), not every fetch: a reload keeps the edits.
  }, [existing.data?.body.id, existing.data?.etag]);
  const held = new Set(org.permissions);
  const maxLevel = Math.min(79, (mine?.level ?? 11) - 1);
  const toggle = (p: string, on: boolean) => {
    const next = new Set(perms);
    if (on) next.add(p);
    else next.delete(p);
    setPerms(next);
  };
  const unheld = act.problem?.code === "permission_not_held" ? (act.problem.body.unheld_permissions as string[]) : [];
  return (
    <section>
      <p>
        <a href={base}>← Roles</a>
      </p>
      <h1>{id ? `Edit role ${existing.data?.body.name ?? ""}` : "New role"}</h1>
      <Async state={catalog} what="the permission catalog">
        {(cat) =>
          id && !existing.data ? (
            <Async state={existing} what="the role">
              {() => null}
            </Async>
          ) : (
            <form
              class="card form"
              onSubmit={async (e) => {
                e.preventDefault();
                setSaved(null);
                const body = { name: name.trim(), description: description.trim(), level, permissions: [...perms] };
                const ok = await act.run(async () => {
                  if (id) {
                    const r = await s.api.patch<{ added: string[]; removed: string[]; affected_members: number }>(`${base}/${id}`, body, existing.data!.etag);
                    existing.set({ body: { ...existing.data!.body, ...body }, etag: r.etag });
                    setSaved(`Saved: ${r.body.added.length} added, ${r.body.removed.length} removed; applies to ${r.body.affected_members} members on their next request.`);
                  } else {
                    await s.api.post(base, body);
                  }
                });
                if (ok && !id) navigate(base);
              }}
            >
              <Field label="Role name" name="name" problem={act.problem}>
                {(fid, d, bad) => <input id={fid} required value={name} aria-describedby={d} aria-invalid={bad} onInput={(e) => setName(e.currentTarget.value)} />}
              </Field>
              <Field label="Description" name="description" problem={act.problem}>
                {(fid, d, bad) => <input id={fid} value={description} aria-describedby={d} aria-invalid={bad} onInput={(e) => setDescription(e.currentTarget.value)} />}
              </Field>
              <Field label="Level" name="level" problem={act.problem} hint={`11 to ${maxLevel}: below your own role's level.`}>
                {(fid, d, bad) => (
                  <input id={fid} type="number" min={11} max={maxLevel} required value={level} aria-describedby={d} aria-invalid={bad} onInput={(e) => setLevel(Number(e.currentTarget.value))} />
                )}
              </Field>
              {cat.data.map((g) => (
                <fieldset class="group" key={g.name}>
                  <legend>{g.name.replace("_", " ")}</legend>
                  {g.permissions.map((p) => (
                    <label key={p} class={unheld.includes(p) ? "check invalid" : "check"}>
                      <input type="checkbox" checked={perms.has(p)} disabled={!held.has(p) && !perms.has(p)} onChange={(e) => toggle(p, e.currentTarget.checked)} />
                      <code>{p}</code>
                      {!held.has(p) && <small class="hint"> (you do not hold it)</small>}
                    </label>
                  ))}
                </fieldset>
              ))}
              <FormError problem={act.problem} />
              {saved && (
                <p class="notice" role="status">
                  {saved}
                </p>
              )}
              <button type="submit" disabled={act.busy}>
                {id ? "Save role" : "Create role"}
              </button>
            </form>
          )
        }
      </Async>
    </section>
  );
}

