// Building blocks every page uses: loading, error and empty states,
// fields with their errors, confirmations, secrets shown once, paging.
import type { ComponentChildren, JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { Problem, type Page } from "./api";

export function asProblem(e: unknown): Problem {
  if (e instanceof Problem) return e;
  return new Problem(0, { detail: e instanceof Error ? e.message : String(e) });
}

export interface Loaded<T> {
  data: T | undefined;
  error: Problem | null;
  loading: boolean;
  reload: () => void;
  set: (t: T) => void;
}

/** Runs load when deps change; keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Problem | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (d) => live && (setData(d), setError(null), setLoading(false)),
      (e) => live && (setError(asProblem(e)), setLoading(false)),
    );
    return () => void (live = false);
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, set: setData };
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorBanner({ problem, onRetry }: { problem: Problem | null; onRetry?: () => void }) {
  if (!problem) return null;
  return (
    <div class="error" role="alert">
      <p>{problem.explain()}</p>
      {onRetry && (
        <button type="button" class="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** Loading, error or the content; data is there once children run. */
export function Async<T>({ state, what, children }: { state: Loaded<T>; what: string; children: (d: T) => ComponentChildren }) {
  if (state.error && state.data === undefined) return <ErrorBanner problem={state.error} onRetry={state.reload} />;
  if (state.data === undefined) return <Loading what={what} />;
  return <>{children(state.data)}</>;
}

let fieldSeq = 0;

/** A labelled input with the API's message for it beside it. */
export function Field(props: {
  label: string;
  name: string;
  problem?: Problem | null;
  hint?: string;
  children: (id: string, describedBy: string | undefined, invalid: boolean) => JSX.Element;
}) {
  const id = useRef(`f${++fieldSeq}`).current;
  const msg = props.problem?.field(props.name);
  const describedBy = [props.hint ? `${id}-hint` : "", msg ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class={msg ? "field invalid" : "field"}>
      <label for={id}>{props.label}</label>
      {props.children(id, describedBy, !!msg)}
      {props.hint && (
        <small id={`${id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      {msg && (
        <small id={`${id}-err`} class="field-error">
          {msg}
        </small>
      )}
    </div>
  );
}

/** Runs an action, tracking busy and the problem it met. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const run = useCallback(async (fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setProblem(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setProblem(asProblem(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, problem, run, setProblem };
}

/** A form's problem that names no field (field errors sit beside their fields). */
export function FormError({ problem }: { problem: Problem | null }) {
  return <ErrorBanner problem={problem && problem.errors.length === 0 ? problem : null} />;
}

/** A dialog form's end: its problem, Cancel, and the submit button. */
export function DialogActions(props: { problem: Problem | null; busy: boolean; submit: string; onCancel: () => void; disabled?: boolean }) {
  return (
    <>
      <FormError problem={props.problem} />
      <div class="actions">
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" disabled={props.busy || props.disabled}>
          {props.submit}
        </button>
      </div>
    </>
  );
}

/** A labelled filter select above a list. */
export function FilterSelect(props: { label: string; name: string; value: string; options: [string, string][]; onChange: (v: string) => void }) {
  return (
    <Field label={props.label} name={props.name}>
      {(id) => (
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
          {props.options.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A table with a caption for screen readers and its column heads. */
export function Table(props: { caption: string; columns: string[]; children: ComponentChildren }) {
  return (
    <table>
      <caption class="sr-only">{props.caption}</caption>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th scope="col" key={c}>
              {c || <span class="sr-only">Actions</span>}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{props.children}</tbody>
    </table>
  );
}

/** A modal dialog (the platform's <dialog>: focus trap and Escape for free). */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    const close = () => props.onClose();
    d.addEventListener("close", close);
    return () => d.removeEventListener("close", close);
  }, []);
  const titleId = useRef(`m${++fieldSeq}`).current;
  return (
    <dialog ref={ref} aria-labelledby={titleId}>
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/**
 * Asks before a destructive action. With `typed`, the user must type it
 * (deleting an organization asks for its slug).
 */
export function Confirm(props: {
  title: string;
  body: ComponentChildren;
  action: string;
  typed?: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const [text, setText] = useState("");
  const act = useAction();
  const ok = !props.typed || text === props.typed;
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <form
        method="dialog"
        onSubmit={async (e) => {
          e.preventDefault();
          if (ok && (await act.run(props.onConfirm))) props.onClose();
        }}
      >
        <div>{props.body}</div>
        {props.typed && (
          <Field label={`Type ${props.typed} to confirm`} name="confirm">
            {(id) => (
              <input id={id} value={text} autoComplete="off" onInput={(e) => setText(e.currentTarget.value)} />
            )}
          </Field>
        )}
        <ErrorBanner problem={act.problem} />
        <div class="actions">
          <button type="button" class="secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={!ok || act.busy}>
            {props.action}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** A secret shown this once, with a copy button. */
export function SecretOnce({ label, secret }: { label: string; secret: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret" role="region" aria-label={label}>
      <p>
        <strong>Copy it now: it is shown this once.</strong> Store it somewhere safe; nobody can show it again.
      </p>
      <code data-testid="secret">{secret}</code>
      <button
        type="button"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(secret);
            setCopied(true);
          } catch {
            setCopied(false);
          }
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}

/** Cursor paging: the page, and Previous/Next buttons. */
export function usePaged<T>(load: (cursor: string | null) => Promise<Page<T>>, deps: unknown[]) {
  // The cursors walked so far, for these deps (new filters start over).
  const key = JSON.stringify(deps);
  const [walk, setWalk] = useState<{ key: string; cursors: (string | null)[] }>({ key, cursors: [null] });
  const cursors = walk.key === key ? walk.cursors : [null];
  const cursor = cursors[cursors.length - 1];
  const state = useLoad(() => load(cursor), [key, cursor, cursors.length]);
  const pager = (
    <Pager
      hasPrev={cursors.length > 1}
      next={state.data?.next_cursor ?? null}
      onPrev={() => setWalk({ key, cursors: cursors.slice(0, -1) })}
      onNext={(n) => setWalk({ key, cursors: [...cursors, n] })}
    />
  );
  return { state, pager };
}

function Pager(props: { hasPrev: boolean; next: string | null; onPrev: () => void; onNext: (c: string) => void }) {
  if (!props.hasPrev && !props.next) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="secondary" disabled={!props.hasPrev} onClick={props.onPrev}>
        Previous page
      </button>
      <button type="button" class="secondary" disabled={!props.next} onClick={() => props.next && props.onNext(props.next)}>
        Next page
      </button>
    </nav>
  );
}

export function when(ts: string | null | undefined): string {
  if (!ts) return "—";
  const d = new Date(ts);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function credits(n: number): string {
  return `${n.toLocaleString()} credits`;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status.replace(/_/g, " ")}</span>;
}
