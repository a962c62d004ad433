import { useState } from "preact/hooks";
import type { Auth } from "../auth";
import type { Config } from "../config";
import { ErrorBanner, Field, FormError, useAction } from "../ui";

/** Sign-in: the dev issuer's form locally, the hosted page in AWS. */
export function SignInPage({ cfg, auth, onSignedIn, email: fixedEmail }: { cfg: Config; auth: Auth; onSignedIn: () => void; email?: string }) {
  const [email, setEmail] = useState(fixedEmail ?? "");
  const [name, setName] = useState("");
  const act = useAction();
  if (cfg.auth === "oidc") {
    return (
      <main class="centered">
        <section class="card narrow">
          <h1>Sign in to Orgplane</h1>
          <ErrorBanner problem={act.problem} />
          <button type="button" onClick={() => act.run(() => auth.oidcSignIn(fixedEmail))} disabled={act.busy}>
            Sign in
          </button>
        </section>
      </main>
    );
  }
  return (
    <main class="centered">
      <section class="card narrow">
        <h1>Sign in to Orgplane</h1>
        <p class="hint">Local stack: the dev issuer signs you in as any address (no password).</p>
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            if (await act.run(() => auth.devSignIn(email.trim(), name.trim()))) onSignedIn();
          }}
        >
          <Field label="Email" name="email" problem={act.problem}>
            {(id, d, bad) => (
              <input
                id={id}
                type="email"
                required
                autoComplete="email"
                value={email}
                readOnly={!!fixedEmail}
                aria-describedby={d}
                aria-invalid={bad}
                onInput={(e) => setEmail(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Name" name="name" problem={act.problem}>
            {(id, d, bad) => (
              <input id={id} autoComplete="name" value={name} aria-describedby={d} aria-invalid={bad} onInput={(e) => setName(e.currentTarget.value)} />
            )}
          </Field>
          <FormError problem={act.problem} />
          <button type="submit" disabled={act.busy}>
            Sign in
          </button>
        </form>
      </section>
    </main>
  );
}
