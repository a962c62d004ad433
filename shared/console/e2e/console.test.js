// The console in a real browser, as a new user meets it: the README's
// console walk-through, against the local stack (make test-console).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { accessible, env, invitationLink, launch, person, screenshot, signIn } from "./harness.js";

let browser;
let ada; // { context, page, errors }: the owner, through every step
const slug = `acme-${Date.now().toString(36)}`;
let orgUrl = "";

before(async () => {
  browser = await launch();
  ada = await person(browser);
});

after(async () => {
  await browser?.close();
});

/** Every page a step visits: accessible, photographed, no uncaught error. */
async function check(who, name) {
  const violations = await accessible(who.page);
  await screenshot(who.page, name);
  assert.deepEqual(violations, [], `${name}: serious or critical accessibility violations`);
  assert.deepEqual(who.errors.splice(0), [], `${name}: errors in the browser`);
}

async function nav(page, label) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: label, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: label === "Overview" ? undefined : label }).first().waitFor();
}

// The steps build on each other (one owner, one organization): after a
// failure the rest fail at once, naming the step that broke the chain.
let broken = "";
function step(name, fn) {
  test(name, async (t) => {
    if (broken) assert.fail(`not run: the earlier step "${broken}" failed`);
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      throw e;
    }
  });
}

describe("console", { concurrency: false }, () => {
  step("cold start renders the sign-in page", async (t) => {
    const fresh = await person(browser);
    await fresh.page.goto(env.console + "/");
    await fresh.page.getByRole("heading", { name: "Sign in to Orgplane" }).waitFor();
    const fcp = await fresh.page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1);
    const bytes = await fresh.page.evaluate(() =>
      performance.getEntriesByType("resource").concat(performance.getEntriesByType("navigation")).reduce((n, e) => n + (e.transferSize || 0), 0),
    );
    t.diagnostic(`cold cache: first contentful paint ${Math.round(fcp)} ms, ${bytes} bytes transferred`);
    await check(fresh, "signin");
    await fresh.context.close();
  });

  step("sign in, and field errors sit beside their field", async () => {
    const { page } = ada;
    await page.goto(env.console + "/");
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByLabel("Name").fill("Ada\u0007");
    page.expectedFailures = 1;
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".field-error").first().waitFor();
    assert.match(await page.locator(".field.invalid").innerText(), /Name[\s\S]*control characters/);
    await page.getByLabel("Name").fill("Ada");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByLabel("Organization", { exact: true }).waitFor();
    await check(ada, "overview-personal");
  });

  step("create an organization", async () => {
    const { page } = ada;
    await page.getByLabel("Organization", { exact: true }).selectOption({ label: "+ New organization" });
    await page.getByRole("heading", { name: "New organization" }).waitFor();
    await check(ada, "org-new");
    await page.getByLabel("Name", { exact: true }).fill("Acme Rockets");
    await page.getByLabel("Slug (optional)").fill(slug);
    await page.getByRole("button", { name: "Create organization" }).click();
    await page.getByRole("heading", { level: 1, name: "Acme Rockets" }).waitFor();
    orgUrl = new URL(page.url()).pathname;
    assert.match(orgUrl, /^\/organizations\/org_[0-9a-z]{26}$/);
    await page.locator("figure.radial canvas").first().waitFor();
    await check(ada, "overview");
  });

  step("create a project and make it the active one", async () => {
    const { page } = ada;
    await nav(page, "Projects");
    await page.getByText("No projects yet").waitFor();
    await check(ada, "projects-empty");
    await page.getByRole("button", { name: "New project" }).click();
    await page.getByRole("dialog").getByLabel("Project name").fill("Launch site");
    await page.getByRole("dialog").getByRole("button", { name: "Create project" }).click();
    await page.getByRole("cell", { name: "Launch site", exact: true }).waitFor();
    await page.getByRole("button", { name: "Set active: Launch site" }).click();
    await page.getByTestId("active-project").getByText("Launch site").waitFor();
    await check(ada, "projects");
  });

  step("invite a teammate, who accepts from the email's link", async () => {
    const { page } = ada;
    await nav(page, "Members");
    await page.getByRole("button", { name: "Invite member" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("Bob");
    await dialog.getByLabel("Email").fill("bob@example.com");
    await dialog.getByLabel("Role").selectOption({ label: "Admin" });
    await check(ada, "members-invite");
    await dialog.getByRole("button", { name: "Send invitation" }).click();
    await page.getByRole("cell", { name: "Bob · bob@example.com", exact: true }).waitFor();
    await check(ada, "members");

    const link = await invitationLink("bob@example.com");
    assert.ok(link.startsWith(env.console + "/invitations/"), `the email links to ${link}, not the console`);
    const bob = await person(browser);
    await bob.page.goto(link);
    await bob.page.getByText("invited you to join Acme Rockets").waitFor();
    await check(bob, "invitation");
    await bob.page.getByRole("button", { name: "Sign in to respond" }).click();
    await bob.page.getByLabel("Email").fill("bob@example.com");
    await bob.page.getByLabel("Name").fill("Bob");
    await bob.page.getByRole("button", { name: "Sign in" }).click();
    await bob.page.getByRole("button", { name: "Accept and join" }).click();
    await bob.page.getByRole("heading", { level: 1, name: "Acme Rockets" }).waitFor();
    assert.equal(new URL(bob.page.url()).pathname, orgUrl);
    await check(bob, "invitation-accepted");

    // The link works once: opened again, the page says why it cannot.
    await bob.page.goto(link);
    await bob.page.getByText("already been used").waitFor();
    await check(bob, "invitation-used");
    await bob.context.close();
  });

  step("create a Manager role with checkboxes and give it to Bob", async () => {
    const { page } = ada;
    await nav(page, "Roles");
    await check(ada, "roles");
    await page.getByRole("link", { name: "New role" }).click();
    await page.getByLabel("Role name").fill("Manager");
    await page.getByLabel("Level").fill("40");
    await page.getByRole("checkbox", { name: "members:read" }).check();
    await page.getByRole("checkbox", { name: "members:invite" }).check();
    await check(ada, "role-new");
    await page.getByRole("button", { name: "Create role" }).click();
    await page.getByRole("cell", { name: /^Manager/ }).waitFor();

    await nav(page, "Members");
    await page.getByRole("button", { name: "Edit role of bob@example.com" }).click();
    await page.getByRole("dialog").getByLabel("Role").selectOption({ label: "Manager (level 40)" });
    await page.getByRole("dialog").getByRole("button", { name: "Save role" }).click();
    await page.getByRole("row", { name: /bob@example\.com/ }).getByRole("cell", { name: "Manager" }).waitFor();

    // Bob, a Manager now, is offered only what the role allows.
    const bob = await person(browser);
    await signIn(bob.page, "bob@example.com", "Bob");
    await bob.page.getByRole("heading", { level: 1, name: "Acme Rockets" }).waitFor();
    const sidebar = bob.page.getByRole("navigation", { name: "Console" });
    await sidebar.getByRole("link", { name: "Members", exact: true }).waitFor();
    for (const hidden of ["Roles", "API keys", "Wallet & billing", "Projects"]) {
      assert.equal(await sidebar.getByRole("link", { name: hidden, exact: true }).count(), 0, `a Manager is offered ${hidden}`);
    }
    await sidebar.getByRole("link", { name: "Members", exact: true }).click();
    await bob.page.getByRole("cell", { name: "ada@example.com" }).waitFor();
    assert.equal(await bob.page.getByRole("button", { name: /^Edit role of/ }).count(), 0);
    await bob.page.getByRole("button", { name: "Invite member" }).click();
    const role = bob.page.getByRole("dialog").getByLabel("Role");
    assert.equal(await role.isDisabled(), true, "a Manager may invite with the member role only");
    assert.equal(await role.inputValue(), "member");
    await check(bob, "members-as-manager");
    await bob.context.close();
  });

  step("an API key's secret is shown once", async () => {
    const { page } = ada;
    await nav(page, "API keys");
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Key name").fill("CI");
    await dialog.getByRole("checkbox", { name: "projects:read" }).check();
    await dialog.getByRole("button", { name: "Create key" }).click();
    const secret = await page.getByTestId("secret").innerText();
    assert.match(secret, /^opk_[0-9A-Za-z]{36}$/);
    await check(ada, "api-key-created");
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByRole("cell", { name: "CI", exact: true }).waitFor();
    assert.equal(await page.getByText(secret).count(), 0, "the secret is still on the page");
    // The secret works against the API, once, from outside the browser.
    const res = await fetch(`${env.api}${orgUrl}`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(res.status, 200);
    await page.getByRole("button", { name: "Revoke CI" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await page.getByRole("row", { name: /CI/ }).getByText("revoked").waitFor();
    await check(ada, "api-keys");
  });

  step("deactivate, reactivate and remove a member, each confirmed", async () => {
    const { page } = ada;
    await nav(page, "Members");
    const bobRow = page.getByRole("row", { name: /bob@example\.com/ });
    await page.getByRole("button", { name: "Deactivate bob@example.com" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Deactivate" }).click();
    await bobRow.getByText("inactive").waitFor();
    await page.getByRole("button", { name: "Activate bob@example.com" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Activate" }).click();
    await bobRow.getByText("active", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Remove bob@example.com" }).click();
    await check(ada, "members-remove");
    await page.getByRole("dialog").getByRole("button", { name: "Remove member" }).click();
    await bobRow.waitFor({ state: "detached" });
  });

  step("an unknown organization is explained, not an error", async () => {
    const { page } = ada;
    await page.goto(env.console + "/organizations/org_00000000000000000000000000/projects");
    await page.getByRole("heading", { name: "Organization not found" }).waitFor();
    await check(ada, "org-not-found");
    await page.goto(env.console + orgUrl);
    await page.getByRole("heading", { level: 1, name: "Acme Rockets" }).waitFor();
  });

  step("top up the wallet and upgrade the plan", async () => {
    const { page } = ada;
    await nav(page, "Wallet & billing");
    await page.getByTestId("balance").waitFor();
    await page.getByLabel("Top up (credits)").fill("3000");
    await page.getByRole("button", { name: "Top up", exact: true }).click();
    await page.getByTestId("balance").getByText("3,000 credits").waitFor();
    await page.getByRole("button", { name: "Upgrade to Pro" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Upgrade" }).click();
    await page.getByTestId("plan").getByText("pro").waitFor();
    await page.getByTestId("balance").getByText("1,000 credits").waitFor();
    await page.getByRole("cell", { name: "+3000" }).waitFor();
    await check(ada, "billing");

    // Business costs more than is left: the API's reason shows, nothing moves.
    await page.getByRole("button", { name: "Upgrade to Business" }).click();
    page.expectedFailures = 1;
    await page.getByRole("dialog").getByRole("button", { name: "Upgrade" }).click();
    await page.getByRole("dialog").getByRole("alert").waitFor();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    await page.getByTestId("plan").getByText("pro").waitFor();
  });

  step("install an app; it stops when idle and wakes on access", async () => {
    const { page } = ada;
    await nav(page, "Marketplace");
    await page.getByLabel("Category").selectOption("productivity");
    await page.getByRole("button", { name: "Install Kanban Board" }).waitFor();
    await check(ada, "marketplace");
    await page.getByRole("button", { name: "Install Kanban Board" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Install app" }).click();
    await page.getByRole("heading", { level: 2, name: "Lifecycle log" }).waitFor();
    await page.getByText("installed").first().waitFor();
    await check(ada, "app");

    // The stack runs with APP_IDLE_TIMEOUT=1s; past it, run the job now.
    await new Promise((r) => setTimeout(r, 1200));
    const run = await fetch(`${env.api}/dev/schedules/stop-idle-apps/run`, { method: "POST" });
    assert.equal(run.status, 200);
    await page.reload();
    await page.getByTestId("stop-reason").getByText("idle").waitFor();
    await page.getByRole("button", { name: "Open (records access)" }).click();
    await page.locator(".badge-running").waitFor();
    await nav(page, "Installed apps");
    await check(ada, "apps");
  });

  step("a stale edit says someone else changed it", async () => {
    const { page } = ada;
    await nav(page, "Settings");
    // A field error sits beside its field, and nothing is saved.
    await page.getByLabel("Description").fill("We\u0007fly");
    page.expectedFailures = 1;
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.locator(".field.invalid").getByText("Description").waitFor();
    await check(ada, "settings-field-error");
    await page.getByLabel("Billing email").fill("billing@acme.example");
    await page.getByLabel("Description").fill("We fly");
    // Someone else saves first (the API, with Ada's token from this tab).
    const token = await page.evaluate(() => sessionStorage.getItem("orgplane.token"));
    const path = orgUrl;
    const current = await fetch(env.api + path, { headers: { Authorization: `Bearer ${token}` } });
    const other = await fetch(env.api + path, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "If-Match": current.headers.get("ETag") },
      body: JSON.stringify({ description: "Changed elsewhere" }),
    });
    assert.equal(other.status, 200);
    page.expectedFailures = 1;
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Someone else changed this").waitFor();
    await check(ada, "settings-conflict");
    await page.getByRole("button", { name: "Try again" }).click();
    // Reloaded: their change is in the form, the warning gone.
    await page.waitForFunction(() => document.querySelector("textarea")?.value === "Changed elsewhere");
    assert.equal(await page.getByText("Someone else changed this").count(), 0);
  });

  step("the dashboard and the activity log tell what happened", async () => {
    const { page } = ada;
    await nav(page, "Overview");
    await page.getByRole("heading", { name: "Recent activity" }).waitFor();
    await page.locator(".feed code").first().waitFor();
    await check(ada, "dashboard");
    await nav(page, "Activity");
    await page.getByRole("cell", { name: "project.created" }).first().waitFor();
    await page.getByLabel("Area").selectOption("subscription.*");
    await page.getByRole("cell", { name: "project.created" }).first().waitFor({ state: "detached" });
    await page.getByRole("cell", { name: /^subscription\./ }).first().waitFor();
    await check(ada, "activity");
  });

  step("analytics: usage against the plan and month by month", async () => {
    const { page } = ada;
    await nav(page, "Analytics");
    await page.getByRole("heading", { name: "Month by month" }).waitFor();
    assert.equal(await page.locator("figure.radial canvas").count(), 4);
    assert.equal(await page.locator("figure.history canvas").count(), 2);
    // Six months by default, oldest first, the current one still counting.
    const rows = page.getByRole("table", { name: "Usage by month" }).getByRole("row");
    assert.equal(await rows.count(), 1 + 6);
    await rows.last().getByText("(so far)").waitFor();
    await check(ada, "analytics");
    await page.getByLabel("Period").selectOption("12");
    await page.waitForFunction(() => document.querySelectorAll("table tbody tr").length === 12);
  });

  step("notification choices, billing details and a data export in settings", async () => {
    const { page } = ada;
    await nav(page, "Settings");
    // An owner cannot turn off billing or security mail: those are locked.
    const billingMail = page.getByRole("checkbox", { name: /Renewals and charges/ });
    assert.equal(await billingMail.isDisabled(), true);
    assert.equal(await billingMail.isChecked(), true);
    await page.getByRole("checkbox", { name: /Apps stopped or started/ }).uncheck();
    await page.getByRole("button", { name: "Save notifications" }).click();
    await page.getByText("Saved.").first().waitFor();

    await page.getByLabel("Company name").fill("Acme Rockets GmbH");
    await page.getByLabel("Address line 1").fill("Raketenweg 1");
    await page.getByLabel("Country").fill("Germany");
    page.expectedFailures = 1;
    await page.getByRole("button", { name: "Save billing details" }).click();
    await page.locator(".field.invalid").getByText("ISO 3166-1").waitFor();
    await page.getByLabel("Country").fill("DE");
    await page.getByLabel("Tax id type").selectOption("eu_vat");
    await page.getByLabel("Tax id", { exact: true }).fill("DE123456789");
    await page.getByRole("button", { name: "Save billing details" }).click();
    await page.getByText("Billing details saved.").waitFor();

    await page.getByRole("button", { name: "Export all data" }).click();
    const row = page.getByRole("table", { name: "Exports" }).getByRole("row").nth(1);
    await row.waitFor();
    // The build-export consumer makes the file; refresh until it is ready.
    for (let i = 0; i < 60 && (await row.getByRole("button", { name: "Download" }).count()) === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      if (await row.getByRole("button", { name: "Refresh" }).count()) await row.getByRole("button", { name: "Refresh" }).click();
    }
    await check(ada, "settings");
    const [download] = await Promise.all([page.waitForEvent("download"), row.getByRole("button", { name: "Download" }).click()]);
    const file = await download.path();
    assert.ok(file, "no file was downloaded");
  });

  step("switching organization clears the active project", async () => {
    const { page } = ada;
    await page.getByTestId("active-project").getByText("Launch site").waitFor();
    await page.getByLabel("Organization", { exact: true }).selectOption({ label: "Ada's workspace" });
    await page.getByRole("heading", { level: 1, name: "Ada's workspace" }).waitFor();
    await page.getByTestId("active-project").getByText("none").waitFor();
    await page.getByLabel("Organization", { exact: true }).selectOption(orgUrl.split("/").pop());
    await page.getByRole("heading", { level: 1, name: "Acme Rockets" }).waitFor();
    assert.equal(new URL(page.url()).pathname, orgUrl);
    await page.getByTestId("active-project").getByText("none").waitFor();
  });

  step("deleting an organization asks for its slug", async () => {
    const { page } = ada;
    await nav(page, "Settings");
    await page.getByRole("button", { name: "Delete organization" }).click();
    const dialog = page.getByRole("dialog");
    const confirm = dialog.getByRole("button", { name: "Delete organization" });
    assert.equal(await confirm.isDisabled(), true);
    await dialog.getByLabel(`Type ${slug} to confirm`).fill("wrong");
    assert.equal(await confirm.isDisabled(), true);
    await check(ada, "settings-delete");
    await dialog.getByLabel(`Type ${slug} to confirm`).fill(slug);
    await confirm.click();
    await page.getByRole("heading", { level: 1, name: "Ada's workspace" }).waitFor();
    assert.equal(await page.getByLabel("Organization", { exact: true }).locator(`option[value="${orgUrl.split("/").pop()}"]`).count(), 0);
  });

  step("keyboard only: sign in, open Projects, create one", async () => {
    const kb = await person(browser);
    const { page } = kb;
    await page.goto(env.console + "/");
    await page.getByLabel("Email").waitFor();
    await page.keyboard.press("Tab");
    await page.keyboard.type("kim@example.com");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Kim");
    await page.keyboard.press("Enter");
    await page.getByLabel("Organization", { exact: true }).waitFor();
    // Tab through the sidebar to Projects and follow it.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press("Tab");
      const focused = await page.evaluate(() => document.activeElement?.textContent ?? "");
      if (focused === "Projects") break;
    }
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Projects" }).waitFor();
    await page.getByRole("button", { name: "New project" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor();
    const name = `Keyboard ${Date.now().toString(36)}`;
    await page.keyboard.type(name); // the dialog focuses its first field
    await page.keyboard.press("Enter");
    await page.getByRole("cell", { name, exact: true }).waitFor();
    await page.getByRole("button", { name: `Delete ${name}` }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("dialog").waitFor();
    await page.keyboard.press("Escape"); // a dialog closes with Escape, changing nothing
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await page.getByRole("cell", { name, exact: true }).waitFor();
    assert.equal(await page.getByRole("dialog").count(), 0);
    assert.deepEqual(kb.errors, []);
    await kb.context.close();
  });

  step("in AWS: the hosted sign-in with authorization code and PKCE", async () => {
    // The deployed config (auth: oidc) and Cognito's endpoints, played by
    // routes in this browser; the token endpoint answers a dev token, which
    // the local API trusts as it trusts Cognito's in AWS.
    const authority = "https://cognito-idp.test/pool";
    const domain = "https://signin.test";
    const fake = await person(browser, { bypassCSP: true });
    const { context, page } = fake;
    await context.route(`${env.console}/config.json`, (r) =>
      r.fulfill({ json: { apiUrl: env.api, auth: "oidc", oidcAuthority: authority, oidcClientId: "client-1", oidcDomain: domain } }),
    );
    await context.route(`${authority}/.well-known/openid-configuration`, (r) =>
      r.fulfill({ json: { issuer: authority, jwks_uri: `${authority}/.well-known/jwks.json`, authorization_endpoint: `${domain}/oauth2/authorize`, token_endpoint: `${domain}/oauth2/token` }, headers: { "Access-Control-Allow-Origin": "*" } }),
    );
    let challenge = "";
    await context.route(`${domain}/oauth2/authorize**`, (r) => {
      const u = new URL(r.request().url());
      assert.equal(u.searchParams.get("response_type"), "code");
      assert.equal(u.searchParams.get("client_id"), "client-1");
      assert.equal(u.searchParams.get("code_challenge_method"), "S256");
      assert.equal(u.searchParams.get("redirect_uri"), `${env.console}/auth/callback`);
      challenge = u.searchParams.get("code_challenge");
      const back = `${env.console}/auth/callback?code=the-code&state=${u.searchParams.get("state")}`;
      return r.fulfill({ status: 302, headers: { Location: back } });
    });
    const token = (await (await fetch(`${env.api}/dev/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: "carol@example.com", name: "Carol" }) })).json()).token;
    await context.route(`${domain}/oauth2/token`, (r) => {
      const form = new URLSearchParams(r.request().postData());
      assert.equal(form.get("code"), "the-code");
      const verifier = form.get("code_verifier");
      assert.equal(createHash("sha256").update(verifier).digest("base64url"), challenge, "the verifier does not match the challenge");
      return r.fulfill({ json: { id_token: token, access_token: "unused", token_type: "Bearer", expires_in: 3600 }, headers: { "Access-Control-Allow-Origin": "*" } });
    });
    await page.goto(env.console + "/");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Carol's workspace" }).waitFor();
    assert.ok(challenge, "the console never went to the hosted sign-in");
    assert.deepEqual(fake.errors, []);
    await context.close();
  });
});
