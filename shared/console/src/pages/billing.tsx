import { useState } from "preact/hooks";
import { idempotencyKey, qs, type Page } from "../api";
import { Radial } from "../charts";
import { orgPath, useOrg, useSession } from "../session";
import type { PlanInfo, Subscription, Wallet, WalletTransaction } from "../types";
import { Async, Confirm, credits, Empty, ErrorBanner, Field, FormError, StatusBadge, Table, useAction, useLoad, usePaged, when } from "../ui";

export function BillingPage() {
  const s = useSession();
  const { org, can } = useOrg();
  const base = orgPath(org.id);
  const wallet = useLoad(() => s.api.get<Wallet>(`${base}/wallet`), [org.id]);
  const sub = useLoad(() => s.api.get<Subscription>(`${base}/subscription`), [org.id]);
  const plans = useLoad(() => s.api.get<Page<PlanInfo>>("/plans"), []);
  const [txTick, setTxTick] = useState(0);
  const txs = usePaged((cursor) => s.api.get<Page<WalletTransaction>>(`${base}/wallet/transactions` + qs({ cursor, limit: 10 })), [org.id, txTick]);
  const [amount, setAmount] = useState("");
  const [reference, setReference] = useState("");
  const [key, setKey] = useState(idempotencyKey);
  const [changeTo, setChangeTo] = useState<PlanInfo | null>(null);
  const topUp = useAction();
  const open = useAction();
  const moved = () => {
    wallet.reload();
    sub.reload();
    setTxTick((t) => t + 1);
  };
  return (
    <section>
      <h1>Wallet &amp; billing</h1>
      <div class="two">
        <div class="card">
          <h2>Wallet</h2>
          <Async state={wallet} what="the wallet">
            {(w) =>
              w.status === "missing" ? (
                <>
                  <p class="notice">This organization has no wallet yet (it is normally made on creation).</p>
                  <ErrorBanner problem={open.problem} />
                  {can("billing:manage") && (
                    <button type="button" disabled={open.busy} onClick={() => open.run(async () => (await s.api.post(`${base}/wallet`), wallet.reload()))}>
                      Create the wallet
                    </button>
                  )}
                </>
              ) : (
                <>
                  <p class="big" data-testid="balance">
                    {credits(w.balance)}
                  </p>
                  {w.low_balance_threshold !== undefined && w.low_balance_threshold > 0 && (
                    <p class="hint">Next renewal needs {credits(w.low_balance_threshold)}; below that you get a low-balance email.</p>
                  )}
                </>
              )
            }
          </Async>
          {can("billing:manage") && (
            <form
              class="inline"
              onSubmit={async (e) => {
                e.preventDefault();
                const body: Record<string, unknown> = { amount: Number(amount) };
                if (reference.trim()) body.reference = reference.trim();
                // The same key on a retry of this top-up moves nothing twice.
                if (await topUp.run(() => s.api.post(`${base}/wallet/top-ups`, body, { "Idempotency-Key": key }))) {
                  setAmount("");
                  setReference("");
                  setKey(idempotencyKey());
                  moved();
                }
              }}
            >
              <Field label="Top up (credits)" name="amount" problem={topUp.problem}>
                {(id, d, bad) => (
                  <input id={id} type="number" min={1} step={1} required value={amount} aria-describedby={d} aria-invalid={bad} onInput={(e) => setAmount(e.currentTarget.value)} />
                )}
              </Field>
              <Field label="Reference (optional)" name="reference" problem={topUp.problem}>
                {(id, d, bad) => <input id={id} value={reference} aria-describedby={d} aria-invalid={bad} onInput={(e) => setReference(e.currentTarget.value)} />}
              </Field>
              <button type="submit" disabled={topUp.busy}>
                Top up
              </button>
              <FormError problem={topUp.problem} />
            </form>
          )}
        </div>
        <div class="card">
          <h2>Subscription</h2>
          <Async state={sub} what="the subscription">
            {(x) => (
              <>
                <p>
                  <strong data-testid="plan">{x.plan}</strong> plan, {credits(x.price)} a period <StatusBadge status={x.status} />
                </p>
                {x.current_period_end && <p class="hint">This period ends {when(x.current_period_end)}.</p>}
                {x.pending_plan && (
                  <p class="notice" role="status">
                    Changes to {x.pending_plan} on {when(x.pending_plan_at)}.
                  </p>
                )}
                {x.status === "past_due" && (
                  <p class="notice" role="status">
                    The last renewal could not be paid. Top up before {when(x.grace_ends_at)} to keep the plan.
                  </p>
                )}
                {x.status === "over_limit" && (
                  <p class="notice" role="status">
                    The organization holds more than its plan allows: creating more is refused until usage fits or you upgrade. Nothing was deleted.
                  </p>
                )}
                <div class="radials">
                  <Radial label="Members" used={x.usage.members} limit={x.limits.members} />
                  <Radial label="Projects" used={x.usage.projects} limit={x.limits.projects} />
                  <Radial label="Roles" used={x.usage.roles} limit={x.limits.roles} />
                </div>
              </>
            )}
          </Async>
        </div>
      </div>
      <h2>Plans</h2>
      <Async state={plans} what="plans">
        {(list) => (
          <ul class="grid">
            {list.data.map((p) => {
              const current = sub.data?.plan === p.id;
              return (
                <li class={current ? "card current" : "card"} key={p.id}>
                  <h3>{p.name}</h3>
                  <p class="big">{credits(p.price)}</p>
                  <ul class="limits">
                    {(["members", "projects", "api_keys", "apps", "roles"] as const).map((k) => (
                      <li key={k}>
                        {p.limits[k] ?? "Unlimited"} {k.replace("_", " ")}
                      </li>
                    ))}
                  </ul>
                  {current ? (
                    <p>
                      <strong>Current plan</strong>
                    </p>
                  ) : (
                    can("billing:manage") &&
                    sub.data && (
                      <button type="button" class={p.price > sub.data.price ? "" : "secondary"} aria-label={`${p.price > sub.data.price ? "Upgrade" : "Downgrade"} to ${p.name}`} onClick={() => setChangeTo(p)}>
                        {p.price > sub.data.price ? "Upgrade" : "Downgrade"}
                      </button>
                    )
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </Async>
      <h2>Transactions</h2>
      <Async state={txs.state} what="transactions">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No transactions yet.</Empty>
          ) : (
            <Table caption="Wallet transactions" columns={["When", "Type", "Amount", "Description"]}>
                {page.data.map((t) => (
                  <tr key={t.id}>
                    <td>{when(t.created_at)}</td>
                    <td>{t.type === "top_up" ? "Top-up" : "Charge"}</td>
                    <td class={t.delta < 0 ? "neg" : "pos"}>{t.delta > 0 ? `+${t.delta}` : t.delta}</td>
                    <td>{t.description ?? t.reference ?? "—"}</td>
                  </tr>
                ))}
            </Table>
          )
        }
      </Async>
      {txs.pager}
      {changeTo && sub.data && (
        <PlanChange plan={changeTo} current={sub.data} onClose={() => setChangeTo(null)} onDone={moved} />
      )}
    </section>
  );
}

function PlanChange(props: { plan: PlanInfo; current: Subscription; onClose: () => void; onDone: () => void }) {
  const s = useSession();
  const { org } = useOrg();
  const [key] = useState(idempotencyKey);
  const up = props.plan.price > props.current.price;
  return (
    <Confirm
      title={`${up ? "Upgrade" : "Downgrade"} to ${props.plan.name}?`}
      body={
        up ? (
          <p>It applies at once. The wallet is charged the prorated difference for the rest of this period.</p>
        ) : (
          <p>It applies at the end of this period, if usage fits the {props.plan.name} limits.</p>
        )
      }
      action={up ? "Upgrade" : "Downgrade"}
      onConfirm={async () => {
        try {
          await s.api.put(`${orgPath(org.id)}/subscription`, { plan: props.plan.id }, { "Idempotency-Key": key });
        } finally {
          props.onDone();
        }
      }}
      onClose={props.onClose}
    />
  );
}

