// Shared by the browser tests: Debian's Chromium through playwright-core,
// axe-core on every page, screenshots, and a watch for uncaught errors.
import { readFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests with make test-console`);
  return v;
};

export const env = {
  console: need("CONSOLE_URL"),
  api: need("API_URL"),
  maildev: need("MAILDEV_URL"),
  chromium: process.env.CHROMIUM || "/usr/bin/chromium",
  shots: process.env.SCREENSHOTS || join(here, "..", "build", "screenshots"),
};
mkdirSync(env.shots, { recursive: true });

const axeSource = readFileSync(join(here, "..", "node_modules", "axe-core", "axe.min.js"), "utf8");

export async function launch() {
  return chromium.launch({ executablePath: env.chromium, headless: true });
}

/**
 * A fresh context (its own storage: a second person) whose pages record
 * uncaught exceptions and console errors, CSP violations included.
 */
export async function person(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  page.on("console", (m) => {
    // Failed requests are judged by the response watch below.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(`console: ${m.text()}`);
  });
  page.on("response", (r) => {
    if (r.status() < 400) return;
    // A 4xx the step provokes on purpose (page.expectedFailures) is fine;
    // anything else is a bug.
    if (r.status() < 500 && page.expectedFailures > 0) {
      page.expectedFailures--;
      return;
    }
    errors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.expectedFailures = 0;
  return { context, page, errors };
}

/** axe-core on the page as it is: no serious or critical violation. */
export async function accessible(page) {
  // Evaluated over the DevTools protocol: the page's strict CSP (no inline
  // scripts) stays on for the app, and axe still gets in.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }),
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(env.shots, `${name}.png`), fullPage: true });
}

/** The newest mail to address that holds an invitation link, polled. */
export async function invitationLink(to, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const res = await fetch(`${env.maildev}/email`);
    const mails = await res.json();
    for (const m of mails.reverse()) {
      if (m.to?.some((t) => t.address === to)) {
        const link = (m.text || "").match(/https?:\/\/\S+\/invitations\/[A-Za-z0-9_-]+/);
        if (link) return link[0];
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no invitation email to ${to} within ${timeoutMs} ms`);
}

export async function signIn(page, email, name) {
  await page.goto(env.console + "/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Organization", { exact: true }).waitFor();
}
