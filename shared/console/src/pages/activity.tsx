// The organization's activity log: GET /organizations/{org}/activity,
// newest first, always paged, with its filters.
import { useState } from "preact/hooks";
import { qs, type Page } from "../api";
import { orgPath, useOrg, useSession } from "../session";
import { Async, Empty, Field, FilterSelect, Table, usePaged, when } from "../ui";

export interface ActivityEvent {
  id: string;
  action: string;
  occurred_at: string;
  actor: { type: string; id: string; name?: string | null };
  targets: { type: string; id: string; name?: string | null }[];
  changes?: Record<string, { from: unknown; to: unknown }> | null;
}

const AREAS: [string, string][] = [
  ["", "Everything"],
  ["organization.*", "Organization"],
  ["member.*", "Members"],
  ["invitation.*", "Invitations"],
  ["role.*", "Roles"],
  ["project.*", "Projects"],
  ["api_key.*", "API keys"],
  ["app.*", "Apps"],
  ["wallet.*", "Wallet"],
  ["subscription.*", "Subscription"],
];

/** One line of the log: who did what to what, and what changed. */
export function ActivityRow({ e }: { e: ActivityEvent }) {
  const changes = Object.entries(e.changes ?? {});
  return (
    <tr>
      <td>
        <time dateTime={e.occurred_at}>{when(e.occurred_at)}</time>
      </td>
      <td>{e.actor.name || e.actor.id}</td>
      <td>
        <code>{e.action}</code>
      </td>
      <td>{e.targets.map((t) => t.name || t.id).join(", ") || "—"}</td>
      <td>{changes.length === 0 ? "—" : changes.map(([k, v]) => `${k}: ${String(v.from ?? "—")} → ${String(v.to ?? "—")}`).join("; ")}</td>
    </tr>
  );
}

export const ACTIVITY_COLUMNS = ["When", "Who", "What", "On", "Changes"];

export function ActivityPage({ actorId }: { actorId?: string }) {
  const s = useSession();
  const { org } = useOrg();
  const [action, setAction] = useState("");
  const [since, setSince] = useState("");
  const { state, pager } = usePaged(
    (cursor) =>
      s.api.get<Page<ActivityEvent>>(
        orgPath(org.id, "activity") + qs({ action, actor_id: actorId, since: since ? new Date(since).toISOString() : "", cursor, limit: 20 }),
      ),
    [org.id, action, since, actorId],
  );
  return (
    <section>
      {!actorId && <h1>Activity</h1>}
      <div class="filters" role="search">
        <FilterSelect label="Area" name="action" value={action} onChange={setAction} options={AREAS} />
        <Field label="Since" name="since">
          {(id) => <input id={id} type="date" value={since} onInput={(e) => setSince(e.currentTarget.value)} />}
        </Field>
      </div>
      <Async state={state} what="activity">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>Nothing happened{action || since ? " that matches" : " yet"}.</Empty>
          ) : (
            <Table caption="Activity" columns={ACTIVITY_COLUMNS}>
              {page.data.map((e) => (
                <ActivityRow key={e.id} e={e} />
              ))}
            </Table>
          )
        }
      </Async>
      {pager}
    </section>
  );
}
