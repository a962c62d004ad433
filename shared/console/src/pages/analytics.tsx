// Usage against the plan (radial charts) and month by month (history
// charts): GET /organizations/{org}/analytics.
import { useState } from "preact/hooks";
import { Gauges, History, type Gauge } from "../charts";
import { orgPath, useOrg, useSession } from "../session";
import { Async, FilterSelect, Table, useLoad } from "../ui";

interface Month {
  month: string;
  partial: boolean;
  projects_created: number;
  projects_deleted: number;
  members_joined: number;
  credits_spent: number;
  active_api_keys: number;
  api_requests: { standard: number; ai_agent: number };
  api_rejected: { rate_limited: number; invalid: number; budget: number };
}

interface Analytics {
  plan: string;
  monthly: Month[];
  usage: Record<"members" | "projects" | "api_keys" | "roles", Gauge>;
}

export function AnalyticsPage() {
  const s = useSession();
  const { org } = useOrg();
  const [months, setMonths] = useState("6");
  const state = useLoad(() => s.api.get<Analytics>(`${orgPath(org.id, "analytics")}?months=${months}`), [org.id, months]);
  return (
    <section>
      <h1>Analytics</h1>
      <div class="filters">
        <FilterSelect label="Period" name="months" value={months} onChange={setMonths} options={[["3", "3 months"], ["6", "6 months"], ["12", "12 months"]]} />
      </div>
      <Async state={state} what="analytics">
        {(a) => {
          const labels = a.monthly.map((m) => (m.partial ? `${m.month} (so far)` : m.month));
          const col = (f: (m: Month) => number) => a.monthly.map(f);
          return (
            <>
              <h2>Usage of the {a.plan} plan</h2>
              <Gauges gauges={a.usage} names={["members", "projects", "api_keys", "roles"]} />
              <h2>Month by month</h2>
              <div class="charts">
                <History
                  label="Projects created and deleted"
                  months={labels}
                  series={[
                    { name: "Created", values: col((m) => m.projects_created), color: "#3b4cca" },
                    { name: "Deleted", values: col((m) => m.projects_deleted), color: "#b42318" },
                  ]}
                />
                <History
                  label="API requests by key type"
                  months={labels}
                  series={[
                    { name: "Standard", values: col((m) => m.api_requests.standard), color: "#3b4cca" },
                    { name: "AI agent", values: col((m) => m.api_requests.ai_agent), color: "#0f7b6c" },
                  ]}
                />
              </div>
              <Table caption="Usage by month" columns={["Month", "Projects created", "Projects deleted", "Members joined", "Active API keys", "API requests", "Refused", "Credits spent"]}>
                {a.monthly.map((m) => (
                  <tr key={m.month}>
                    <td>{m.partial ? `${m.month} (so far)` : m.month}</td>
                    <td>{m.projects_created}</td>
                    <td>{m.projects_deleted}</td>
                    <td>{m.members_joined}</td>
                    <td>{m.active_api_keys}</td>
                    <td>{m.api_requests.standard + m.api_requests.ai_agent}</td>
                    <td>{m.api_rejected.rate_limited + m.api_rejected.invalid + m.api_rejected.budget}</td>
                    <td>{m.credits_spent}</td>
                  </tr>
                ))}
              </Table>
            </>
          );
        }}
      </Async>
    </section>
  );
}
