import { useState } from "preact/hooks";
import { etagOf, qs, type Page } from "../api";
import { orgPath, useOrg, useSession } from "../session";
import { ActivityPage } from "./activity";
import type { Invitation, Member, Role, RoleList } from "../types";
import { Async, Confirm, DialogActions, Empty, ErrorBanner, Field, FilterSelect, Modal, StatusBadge, Table, useAction, useLoad, usePaged, when } from "../ui";

/** The org's roles (built-ins too), for names, levels and can_assign. */
function useRoles() {
  const s = useSession();
  const { org, can } = useOrg();
  return useLoad(
    async () => (can("roles:read") ? (await s.api.get<RoleList>(`${orgPath(org.id)}/roles`)).data : []),
    [org.id],
  );
}

function roleName(roles: Role[] | undefined, id: string): string {
  return roles?.find((r) => r.id === id)?.name ?? id;
}

export function MembersPage() {
  const s = useSession();
  const { org, can, role: me } = useOrg();
  const roles = useRoles();
  const [q, setQ] = useState("");
  const [roleFilter, setRoleFilter] = useState("");
  const [status, setStatus] = useState("");
  const [inviting, setInviting] = useState(false);
  const [editing, setEditing] = useState<Member | null>(null);
  const [toggling, setToggling] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [invitesTick, setInvitesTick] = useState(0);
  const base = orgPath(org.id, "members");
  const { state, pager } = usePaged(
    (cursor) => s.api.get<Page<Member>>(base + qs({ q, role: roleFilter, status, cursor, limit: 20 })),
    [org.id, q, roleFilter, status],
  );
  const myLevel = me?.level ?? 0;
  // One may change only members whose role is below one's own (owners may change owners).
  const manageable = (m: Member) => {
    const lvl = roles.data?.find((r) => r.id === m.role)?.level ?? 100;
    return m.user_id !== s.me.id && (lvl < myLevel || myLevel === 100);
  };
  return (
    <section>
      <div class="heading">
        <h1>Members</h1>
        {can("members:invite") && (
          <button type="button" onClick={() => setInviting(true)}>
            Invite member
          </button>
        )}
      </div>
      <div class="filters" role="search">
        <Field label="Search name or email" name="q">
          {(id) => <input id={id} type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />}
        </Field>
        <FilterSelect
          label="Role"
          name="role"
          value={roleFilter}
          onChange={setRoleFilter}
          options={[["", "Any role"], ...(roles.data ?? []).map((r): [string, string] => [r.id, r.name])]}
        />
        <FilterSelect label="Status" name="status" value={status} onChange={setStatus} options={[["", "Any status"], ["active", "Active"], ["inactive", "Inactive"]]} />
      </div>
      <Async state={state} what="members">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No member matches.</Empty>
          ) : (
            <Table caption="Members" columns={["Name", "Email", "Role", "Last login", "Status", ""]}>
                {page.data.map((m) => (
                  <tr key={m.user_id}>
                    <td>
                      <a href={`${base}/${m.user_id}`}>{m.name || m.email}</a>
                    </td>
                    <td>{m.email}</td>
                    <td>{roleName(roles.data, m.role)}</td>
                    <td>{when(m.last_login_at)}</td>
                    <td>
                      <StatusBadge status={m.status} />
                    </td>
                    <td class="row-actions">
                      {can("members:update") && manageable(m) && (
                        <>
                          <button type="button" class="secondary" aria-label={`Edit role of ${m.email}`} onClick={() => setEditing(m)}>
                            Edit role
                          </button>
                          <button type="button" class="secondary" aria-label={`${m.status === "active" ? "Deactivate" : "Activate"} ${m.email}`} onClick={() => setToggling(m)}>
                            {m.status === "active" ? "Deactivate" : "Activate"}
                          </button>
                        </>
                      )}
                      {can("members:remove") && manageable(m) && (
                        <button type="button" class="danger" aria-label={`Remove ${m.email}`} onClick={() => setRemoving(m)}>
                          Remove
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
            </Table>
          )
        }
      </Async>
      {pager}
      {can("members:invite") && <Invitations tick={invitesTick} roles={roles.data} />}
      {inviting && (
        <InviteForm roles={roles.data ?? []} canChooseRole={can("members:update")} onClose={() => setInviting(false)} onSent={() => setInvitesTick((t) => t + 1)} />
      )}
      {editing && <RoleForm member={editing} roles={roles.data ?? []} onClose={() => setEditing(null)} onSaved={state.reload} />}
      {removing && (
        <Confirm
          title={`Remove ${removing.email}?`}
          body={<p>They leave the organization and its seat is freed. To have them back, invite them again.</p>}
          action="Remove member"
          onConfirm={async () => {
            await s.api.del(`${base}/${removing.user_id}`);
            state.reload();
          }}
          onClose={() => setRemoving(null)}
        />
      )}
      {toggling && (
        <Confirm
          title={`${toggling.status === "active" ? "Deactivate" : "Activate"} ${toggling.email}?`}
          body={
            <p>
              {toggling.status === "active"
                ? "They lose access to this organization at once; their seat is kept."
                : "They get their access back with their role."}
            </p>
          }
          action={toggling.status === "active" ? "Deactivate" : "Activate"}
          onConfirm={async () => {
            await s.api.patch(`${base}/${toggling.user_id}`, { status: toggling.status === "active" ? "inactive" : "active" }, etagOf(toggling.version));
            state.reload();
          }}
          onClose={() => setToggling(null)}
        />
      )}
    </section>
  );
}

function InviteForm(props: { roles: Role[]; canChooseRole: boolean; onClose: () => void; onSent: () => void }) {
  const s = useSession();
  const { org } = useOrg();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("member");
  const act = useAction();
  const assignable = props.roles.filter((r) => r.can_assign);
  return (
    <Modal title="Invite a member" onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await act.run(() => {
            const body: Record<string, string> = { email: email.trim(), role };
            if (name.trim()) body.name = name.trim();
            return s.api.post(orgPath(org.id, "invitations"), body);
          });
          if (ok) {
            props.onSent();
            props.onClose();
          }
        }}
      >
        <Field label="Name" name="name" problem={act.problem}>
          {(id, d, bad) => <input id={id} value={name} aria-describedby={d} aria-invalid={bad} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label="Email" name="email" problem={act.problem}>
          {(id, d, bad) => (
            <input id={id} type="email" required value={email} aria-describedby={d} aria-invalid={bad} onInput={(e) => setEmail(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Role" name="role" problem={act.problem} hint={props.canChooseRole ? undefined : "You can invite with the member role only."}>
          {(id, d, bad) => (
            <select id={id} value={role} disabled={!props.canChooseRole} aria-describedby={d} aria-invalid={bad} onChange={(e) => setRole(e.currentTarget.value)}>
              {(props.canChooseRole ? assignable : assignable.filter((r) => r.id === "member")).map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
              {assignable.length === 0 && <option value="member">Member</option>}
            </select>
          )}
        </Field>
        <DialogActions problem={act.problem} busy={act.busy} submit="Send invitation" onCancel={props.onClose} />
      </form>
    </Modal>
  );
}

function RoleForm(props: { member: Member; roles: Role[]; onClose: () => void; onSaved: () => void }) {
  const s = useSession();
  const { org } = useOrg();
  const [role, setRole] = useState(props.member.role);
  const act = useAction();
  return (
    <Modal title={`Role of ${props.member.email}`} onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await act.run(() => s.api.patch(`${orgPath(org.id, "members")}/${props.member.user_id}`, { role }, etagOf(props.member.version)));
          if (ok) {
            props.onSaved();
            props.onClose();
          }
        }}
      >
        <Field label="Role" name="role" problem={act.problem}>
          {(id, d, bad) => (
            <select id={id} value={role} aria-describedby={d} aria-invalid={bad} onChange={(e) => setRole(e.currentTarget.value)}>
              {props.roles
                .filter((r) => r.can_assign || r.id === props.member.role)
                .map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name} (level {r.level})
                  </option>
                ))}
            </select>
          )}
        </Field>
        <DialogActions problem={act.problem} busy={act.busy} submit="Save role" onCancel={props.onClose} disabled={role === props.member.role} />
      </form>
    </Modal>
  );
}

function Invitations({ tick, roles }: { tick: number; roles: Role[] | undefined }) {
  const s = useSession();
  const { org } = useOrg();
  const base = orgPath(org.id, "invitations");
  const { state, pager } = usePaged((cursor) => s.api.get<Page<Invitation>>(base + qs({ cursor, limit: 20 })), [org.id, tick]);
  const act = useAction();
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  return (
    <>
      <h2>Invitations</h2>
      <ErrorBanner problem={act.problem} />
      <Async state={state} what="invitations">
        {(page) => {
          const rows = page.data.filter((i) => i.status === "pending" || i.status === "expired");
          return rows.length === 0 ? (
            <Empty>No pending invitations.</Empty>
          ) : (
            <Table caption="Pending invitations" columns={["Email", "Role", "Invited by", "Expires", ""]}>
                {rows.map((i) => (
                  <tr key={i.id}>
                    <td>
                      {i.name ? `${i.name} · ` : ""}
                      {i.email}
                    </td>
                    <td>{roleName(roles, i.role)}</td>
                    <td>{i.inviter_name}</td>
                    <td>{i.status === "expired" ? <StatusBadge status="expired" /> : when(i.expires_at)}</td>
                    <td class="row-actions">
                      <button type="button" class="secondary" aria-label={`Resend the invitation to ${i.email}`} disabled={act.busy} onClick={() => act.run(async () => (await s.api.post(`${base}/${i.id}/resend`), state.reload()))}>
                        Resend
                      </button>
                      <button type="button" class="danger" aria-label={`Revoke the invitation to ${i.email}`} onClick={() => setRevoking(i)}>
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
            </Table>
          );
        }}
      </Async>
      {pager}
      {revoking && (
        <Confirm
          title={`Revoke the invitation to ${revoking.email}?`}
          body={<p>The link in their email stops working and the seat is freed.</p>}
          action="Revoke invitation"
          onConfirm={async () => {
            await s.api.del(`${base}/${revoking.id}`);
            state.reload();
          }}
          onClose={() => setRevoking(null)}
        />
      )}
    </>
  );
}

/** One member: profile, role and the permissions it grants. */
export function MemberPage({ user }: { user: string }) {
  const s = useSession();
  const { org, can } = useOrg();
  const roles = useRoles();
  const state = useLoad(() => s.api.get<Member>(`${orgPath(org.id, "members")}/${user}`), [org.id, user]);
  return (
    <section>
      <p>
        <a href={orgPath(org.id, "members")}>← Members</a>
      </p>
      <Async state={state} what="the member">
        {(m) => {
          const role = roles.data?.find((r) => r.id === m.role);
          return (
            <>
              <h1>{m.name || m.email}</h1>
              <dl class="facts">
                <dt>Email</dt>
                <dd>{m.email}</dd>
                <dt>Role</dt>
                <dd>
                  {role?.name ?? m.role}
                  {m.role_expires_at && ` (until ${when(m.role_expires_at)})`}
                </dd>
                <dt>Status</dt>
                <dd>
                  <StatusBadge status={m.status} />
                </dd>
                <dt>Joined</dt>
                <dd>{when(m.joined_at)}</dd>
                <dt>Last login</dt>
                <dd>{when(m.last_login_at)}</dd>
              </dl>
              <h2>Permissions</h2>
              {role ? (
                <ul class="perms">
                  {role.permissions.map((p) => (
                    <li key={p}>
                      <code>{p}</code>
                    </li>
                  ))}
                </ul>
              ) : (
                <Empty>Your role cannot read roles, so their permissions are not shown.</Empty>
              )}
              {can("activity:read") && (
                <>
                  <h2>Activity</h2>
                  <ActivityPage actorId={m.user_id} />
                </>
              )}
            </>
          );
        }}
      </Async>
    </section>
  );
}
