import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { API } from "./api";
import { Auth } from "./auth";
import { loadConfig, type Config } from "./config";
import { match, navigate, onLinkClick, usePath } from "./router";
import { SessionContext, type Session } from "./session";
import { Shell } from "./shell";
import { ErrorBanner, Loading, asProblem } from "./ui";
import { InvitationPage } from "./pages/invitation";
import { SignInPage } from "./pages/signin";
import type { Page } from "./api";
import type { Me, MyOrganization } from "./types";
import "./styles.css";

function App({ cfg }: { cfg: Config }) {
  const path = usePath();
  const auth = useMemo(() => new Auth(cfg), [cfg]);
  const [signedIn, setSignedIn] = useState(auth.signedIn());
  const api = useMemo(
    () =>
      new API(cfg.apiUrl, () => auth.token(), () => {
        // An expired or refused token: sign in again, then come back here.
        auth.signOut();
        auth.rememberReturn(location.pathname);
        setSignedIn(false);
      }),
    [cfg],
  );

  const invitation = match("/invitations/:token", path);
  if (invitation) {
    return (
      <InvitationPage
        cfg={cfg}
        auth={auth}
        api={api}
        token={invitation.token}
        signedIn={signedIn}
        onSignedIn={() => setSignedIn(true)}
        onSignOut={() => (auth.signOut(), setSignedIn(false))}
      />
    );
  }
  if (path === "/auth/callback") return <Callback auth={auth} onDone={() => setSignedIn(true)} />;
  if (!signedIn) {
    return (
      <SignInPage
        cfg={cfg}
        auth={auth}
        onSignedIn={() => {
          setSignedIn(true);
          const back = auth.takeReturn();
          navigate(back ?? (path === "/signin" ? "/" : path), true);
        }}
      />
    );
  }
  return <SignedIn cfg={cfg} auth={auth} api={api} onSignOut={() => (auth.signOut(), setSignedIn(false), navigate("/signin"))} />;
}

function Callback({ auth, onDone }: { auth: Auth; onDone: () => void }) {
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    auth.oidcCallback().then(
      () => {
        onDone();
        navigate(auth.takeReturn() ?? "/", true);
      },
      setErr,
    );
  }, []);
  return (
    <main class="centered">
      {err ? <ErrorBanner problem={asProblem(err)} /> : <Loading what="your sign-in" />}
    </main>
  );
}

function SignedIn({ cfg, auth, api, onSignOut }: { cfg: Config; auth: Auth; api: API; onSignOut: () => void }) {
  const [state, setState] = useState<{ me: Me; orgs: MyOrganization[] } | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const load = async () => {
    // /me first: a new user's first call creates them and a personal org.
    const me = await api.get<Me>("/me");
    const orgs: MyOrganization[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : "?limit=100";
      const page: Page<MyOrganization> = await api.get<Page<MyOrganization>>(`/me/organizations${q}`);
      orgs.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    setState({ me, orgs });
  };
  useEffect(() => {
    load().catch(setErr);
  }, []);
  if (err && !state) {
    return (
      <main class="centered">
        <ErrorBanner problem={asProblem(err)} onRetry={() => (setErr(null), load().catch(setErr))} />
      </main>
    );
  }
  if (!state) {
    return (
      <main class="centered">
        <Loading what="your organizations" />
      </main>
    );
  }
  const session: Session = { cfg, api, auth, me: state.me, orgs: state.orgs, refresh: load, signOut: onSignOut };
  return (
    <SessionContext.Provider value={session}>
      <Shell />
    </SessionContext.Provider>
  );
}

async function start() {
  const root = document.getElementById("app")!;
  document.addEventListener("click", onLinkClick);
  try {
    const cfg = await loadConfig();
    render(<App cfg={cfg} />, root);
  } catch (e) {
    render(
      <main class="centered">
        <ErrorBanner problem={asProblem(e)} />
      </main>,
      root,
    );
  }
}

void start();
