// GDPR export of everything the organization holds: POST starts one (one
// at a time), the list shows the jobs, a ready job's own GET gives a
// short-lived download link.
import { qs, type Page } from "../api";
import { orgPath, useOrg, useSession } from "../session";
import { Async, Empty, ErrorBanner, StatusBadge, Table, useAction, usePaged, when } from "../ui";

interface Export {
  id: string;
  kind: string;
  status: "pending" | "running" | "ready" | "failed" | "expired";
  format: string;
  created_at: string;
  expires_at: string;
  size: number | null;
  records: number | null;
  download_url: string | null;
}

export function ExportsSection() {
  const s = useSession();
  const { org, can } = useOrg();
  const base = orgPath(org.id, "exports");
  const { state, pager } = usePaged((cursor) => s.api.get<Page<Export>>(base + qs({ cursor, limit: 10 })), [org.id]);
  const act = useAction();
  const download = useAction();
  return (
    <>
      <h2>Data export</h2>
      <p class="hint">One file (gzip JSON) of everything this organization holds, secrets excluded. Kept 7 days.</p>
      <ErrorBanner problem={act.problem ?? download.problem} />
      {can("organization:export") && (
        <button type="button" disabled={act.busy} onClick={() => act.run(async () => (await s.api.post(base, {}), state.reload()))}>
          Export all data
        </button>
      )}
      <Async state={state} what="exports">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No exports yet.</Empty>
          ) : (
            <Table caption="Exports" columns={["Requested", "Status", "Records", "Available until", ""]}>
              {page.data.map((x) => (
                <tr key={x.id}>
                  <td>{when(x.created_at)}</td>
                  <td>
                    <StatusBadge status={x.status} />
                  </td>
                  <td>{x.records ?? "—"}</td>
                  <td>{when(x.expires_at)}</td>
                  <td class="row-actions">
                    {x.status === "ready" ? (
                      <button
                        type="button"
                        class="secondary"
                        disabled={download.busy}
                        onClick={() =>
                          download.run(async () => {
                            // The link lives 15 minutes: fetch it when asked for.
                            const full = await s.api.get<Export>(`${base}/${x.id}`);
                            if (full.download_url) location.assign(full.download_url);
                          })
                        }
                      >
                        Download
                      </button>
                    ) : (
                      (x.status === "pending" || x.status === "running") && (
                        <button type="button" class="secondary" onClick={state.reload}>
                          Refresh
                        </button>
                      )
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </Async>
      {pager}
    </>
  );
}
