import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { qs, type Page } from "../api";
import { navigate } from "../router";
import { orgPath, useOrg, useSession } from "../session";
import type { AppInstance, AppLogEntry, AppTemplate } from "../types";
import { Async, FilterSelect, Confirm, credits, DialogActions, Empty, ErrorBanner, Field, Modal, StatusBadge, useAction, useLoad, usePaged, when } from "../ui";

const CATEGORIES: [string, string][] = [
  ["", "All categories"],
  ["productivity", "Productivity"],
  ["ai", "AI"],
  ["communication", "Communication"],
  ["analytics", "Analytics"],
  ["developer-tools", "Developer tools"],
];

const BILLING: [keyof AppTemplate["pricing"], string][] = [
  ["monthly", "Monthly"],
  ["annual", "Annual"],
  ["one_time", "One-time"],
  ["lifetime", "Lifetime"],
];

function price(n: number): string {
  return n === 0 ? "free" : credits(n);
}

export function MarketplacePage() {
  const s = useSession();
  const { can } = useOrg();
  const [category, setCategory] = useState("");
  const [q, setQ] = useState("");
  const [installing, setInstalling] = useState<AppTemplate | null>(null);
  const state = useLoad(() => s.api.get<Page<AppTemplate>>("/apps" + qs({ category, q, limit: 100 })), [category, q]);
  return (
    <section>
      <h1>App marketplace</h1>
      <div class="filters" role="search">
        <Field label="Search apps" name="q">
          {(id) => <input id={id} type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />}
        </Field>
        <FilterSelect label="Category" name="category" value={category} onChange={setCategory} options={CATEGORIES} />
      </div>
      <Async state={state} what="the catalog">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No app matches.</Empty>
          ) : (
            <ul class="grid">
              {page.data.map((t) => (
                <li class="card app-card" key={t.id}>
                  <h2>{t.name}</h2>
                  <p class="hint">{CATEGORIES.find(([v]) => v === t.category)?.[1] ?? t.category}</p>
                  <p>{t.description}</p>
                  <dl class="pricing">
                    {BILLING.map(([k, l]) => (
                      <Fragment key={k}>
                        <dt>{l}</dt>
                        <dd>{price(t.pricing[k])}</dd>
                      </Fragment>
                    ))}
                  </dl>
                  {t.trial_days > 0 && <p class="badge badge-active">{t.trial_days}-day free trial</p>}
                  {can("apps:manage") && (
                    <button type="button" aria-label={`Install ${t.name}`} onClick={() => setInstalling(t)}>
                      Install
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Async>
      {installing && <Install template={installing} onClose={() => setInstalling(null)} />}
    </section>
  );
}

function Install({ template: t, onClose }: { template: AppTemplate; onClose: () => void }) {
  const s = useSession();
  const { org } = useOrg();
  const [name, setName] = useState(t.name);
  const [env, setEnv] = useState<Record<string, string>>({});
  const [billing, setBilling] = useState<string>("monthly");
  const [visibility, setVisibility] = useState("organization");
  const act = useAction();
  const paid = BILLING.some(([k]) => t.pricing[k] > 0);
  return (
    <Modal title={`Install ${t.name}`} onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          let id = "";
          const ok = await act.run(async () => {
            const body: Record<string, unknown> = { template_id: t.id, name: name.trim(), access: { visibility } };
            const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
            if (Object.keys(given).length) body.env = given;
            if (paid) body.billing = billing;
            id = (await s.api.post<AppInstance>(orgPath(org.id, "apps"), body)).id;
          });
          if (ok) navigate(`${orgPath(org.id, "apps")}/${id}`);
        }}
      >
        <Field label="Instance name" name="name" problem={act.problem}>
          {(id, d, bad) => <input id={id} required value={name} aria-describedby={d} aria-invalid={bad} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        {t.env.map((v) => (
          <Field key={v.key} label={`${v.key}${v.required && v.default === null ? " (required)" : ""}`} name={`env.${v.key}`} problem={act.problem} hint={v.description}>
            {(id, d, bad) => (
              <input
                id={id}
                type={(v.secret ? "password" : "text") as "text"}
                autoComplete="off"
                required={v.required && v.default === null}
                placeholder={v.default ?? ""}
                value={env[v.key] ?? ""}
                aria-describedby={d}
                aria-invalid={bad}
                onInput={(e) => setEnv({ ...env, [v.key]: e.currentTarget.value })}
              />
            )}
          </Field>
        ))}
        {paid && (
          <Field label="Billing" name="billing" problem={act.problem} hint={t.trial_days > 0 ? `Nothing is charged during the ${t.trial_days}-day trial.` : undefined}>
            {(id, d) => (
              <select id={id} value={billing} aria-describedby={d} onChange={(e) => setBilling(e.currentTarget.value)}>
                {BILLING.filter(([k]) => t.pricing[k] > 0).map(([k, l]) => (
                  <option key={k} value={k}>
                    {l}: {price(t.pricing[k])}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field label="Who may use it" name="access.visibility" problem={act.problem}>
          {(id) => (
            <select id={id} value={visibility} onChange={(e) => setVisibility(e.currentTarget.value)}>
              <option value="organization">Every member</option>
              <option value="private">App managers only</option>
            </select>
          )}
        </Field>
        <DialogActions problem={act.problem} busy={act.busy} submit="Install app" onCancel={onClose} />
      </form>
    </Modal>
  );
}

export function AppsPage() {
  const s = useSession();
  const { org, can } = useOrg();
  const base = orgPath(org.id, "apps");
  const { state, pager } = usePaged((cursor) => s.api.get<Page<AppInstance>>(base + qs({ cursor, limit: 20 })), [org.id]);
  return (
    <section>
      <div class="heading">
        <h1>Installed apps</h1>
        {can("apps:manage") && (
          <a class="button" href={orgPath(org.id, "marketplace")}>
            Browse the marketplace
          </a>
        )}
      </div>
      <p class="hint">Apps without traffic for a while are stopped to save resources; the next access starts them again with nothing lost.</p>
      <Async state={state} what="installed apps">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No apps installed yet.</Empty>
          ) : (
            <ul class="grid">
              {page.data.map((a) => (
                <li class="card" key={a.id}>
                  <h2>
                    <a href={`${base}/${a.id}`}>{a.name}</a>
                  </h2>
                  <p>
                    <StatusBadge status={a.status} /> {a.stop_reason && <small>({a.stop_reason})</small>}
                  </p>
                  <dl class="facts">
                    <dt>Template</dt>
                    <dd>{a.template_id}</dd>
                    <dt>Last active</dt>
                    <dd>{when(a.last_active_at)}</dd>
                  </dl>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
      {pager}
    </section>
  );
}

export function AppPage({ id }: { id: string }) {
  const s = useSession();
  const { org, can } = useOrg();
  const path = `${orgPath(org.id, "apps")}/${id}`;
  const state = useLoad(() => s.api.call<AppInstance>("GET", path), [path]);
  const [logsTick, setLogsTick] = useState(0);
  const logs = usePaged((cursor) => s.api.get<Page<AppLogEntry>>(`${path}/logs` + qs({ cursor, limit: 10 })), [path, logsTick]);
  const act = useAction();
  const [configuring, setConfiguring] = useState(false);
  const [removing, setRemoving] = useState(false);
  const lifecycle = (verb: string) =>
    act.run(async () => {
      await s.api.post(`${path}/${verb}`);
      state.reload();
      setLogsTick((t) => t + 1);
    });
  return (
    <section>
      <p>
        <a href={orgPath(org.id, "apps")}>← Installed apps</a>
      </p>
      <Async state={state} what="the app">
        {({ body: a, etag }) => (
          <>
            <h1>{a.name}</h1>
            <p>
              <StatusBadge status={a.status} /> <StatusBadge status={a.health} />{" "}
              {a.stop_reason && <span data-testid="stop-reason">stopped: {a.stop_reason}</span>}
            </p>
            <dl class="facts">
              <dt>Template</dt>
              <dd>{a.template_id}</dd>
              <dt>Last active</dt>
              <dd>{when(a.last_active_at)}</dd>
              <dt>Trial ends</dt>
              <dd>{when(a.trial_ends_at)}</dd>
              <dt>Billing</dt>
              <dd>{a.billing ?? "free"}</dd>
            </dl>
            <ErrorBanner problem={act.problem} />
            <div class="actions left">
              <button type="button" disabled={act.busy} onClick={() => lifecycle("access")}>
                Open (records access)
              </button>
              {can("apps:manage") && (
                <>
                  <button type="button" class="secondary" disabled={act.busy} onClick={() => lifecycle("restart")}>
                    Restart
                  </button>
                  {a.status === "running" && (
                    <button type="button" class="secondary" disabled={act.busy} onClick={() => lifecycle("stop")}>
                      Stop
                    </button>
                  )}
                  <button type="button" class="secondary" onClick={() => setConfiguring(true)}>
                    Configure
                  </button>
                  <button type="button" class="danger" onClick={() => setRemoving(true)}>
                    Uninstall
                  </button>
                </>
              )}
            </div>
            <h2>Settings</h2>
            {Object.keys(a.env).length === 0 ? (
              <Empty>No settings.</Empty>
            ) : (
              <dl class="facts">
                {Object.entries(a.env).map(([k, v]) => (
                  <Fragment key={k}>
                    <dt>
                      <code>{k}</code>
                    </dt>
                    <dd>{v}</dd>
                  </Fragment>
                ))}
              </dl>
            )}
            {configuring && (
              <Configure
                app={a}
                etag={etag}
                onClose={() => setConfiguring(false)}
                onSaved={() => {
                  state.reload();
                  setLogsTick((t) => t + 1);
                }}
              />
            )}
            {removing && (
              <Confirm
                title={`Uninstall ${a.name}?`}
                body={<p>The instance and its settings are removed.</p>}
                action="Uninstall"
                onConfirm={async () => {
                  await s.api.del(path);
                  navigate(orgPath(org.id, "apps"));
                }}
                onClose={() => setRemoving(false)}
              />
            )}
          </>
        )}
      </Async>
      <h2>Lifecycle log</h2>
      <Async state={logs.state} what="the log">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>Nothing logged yet.</Empty>
          ) : (
            <ol class="log">
              {page.data.map((l) => (
                <li key={l.id}>
                  <time dateTime={l.created_at}>{when(l.created_at)}</time> {l.event}
                  {l.reason && ` (${l.reason})`}
                </li>
              ))}
            </ol>
          )
        }
      </Async>
      {logs.pager}
    </section>
  );
}

function Configure(props: { app: AppInstance; etag: string | null; onClose: () => void; onSaved: () => void }) {
  const s = useSession();
  const { org } = useOrg();
  const [name, setName] = useState(props.app.name);
  const [env, setEnv] = useState<Record<string, string>>({});
  const act = useAction();
  return (
    <Modal title={`Configure ${props.app.name}`} onClose={props.onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await act.run(async () => {
            const body: Record<string, unknown> = { name: name.trim() };
            const changed = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
            if (Object.keys(changed).length) body.env = changed;
            await s.api.patch(`${orgPath(org.id, "apps")}/${props.app.id}`, body, props.etag);
          });
          if (ok) {
            props.onSaved();
            props.onClose();
          }
        }}
      >
        <Field label="Instance name" name="name" problem={act.problem}>
          {(id, d, bad) => <input id={id} required value={name} aria-describedby={d} aria-invalid={bad} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        {Object.entries(props.app.env).map(([k, v]) => (
          <Field key={k} label={k} name={`env.${k}`} problem={act.problem} hint={v === "••••" ? "Secret: type a new value to replace it." : `Now: ${v}`}>
            {(id, d, bad) => (
              <input id={id} autoComplete="off" value={env[k] ?? ""} aria-describedby={d} aria-invalid={bad} onInput={(e) => setEnv({ ...env, [k]: e.currentTarget.value })} />
            )}
          </Field>
        ))}
        <DialogActions problem={act.problem} busy={act.busy} submit="Save settings" onCancel={props.onClose} />
      </form>
    </Modal>
  );
}
