// tests/node/browser.mjs BASE_URL EXPECTED_STORE [SCREENSHOT_DIR]
// Drives headless Debian Chromium (/usr/bin/chromium) through examples/server.c
// with playwright-core: log in, reload and see the counter rise, check the
// session cookie's flags, tamper with the cookie and be logged out, log out and
// see the cookie gone. Prints "ok"/"FAIL" lines, "SESSION_ID <value>" lines for
// the shell script (server-side stores: the cookie value is the session id) and
// last "browser-<store>: N passed, N failed". Exit status 1 on any failure.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, store, shots] = process.argv.slice(2);
if (!base || !store) {
  console.error('usage: node browser.mjs BASE_URL EXPECTED_STORE [SCREENSHOT_DIR]');
  process.exit(2);
}
const label = `browser-${store}`;
let pass = 0, fail = 0;
const ok = (name) => { pass++; console.log(`ok   ${name}`); };
const bad = (name, why) => { fail++; console.log(`FAIL ${name}${why ? ': ' + why : ''}`); };
const check = (cond, name, why) => (cond ? ok(name) : bad(name, why));

// The whole run is bounded, whatever hangs.
const watchdog = setTimeout(() => {
  console.log(`FAIL watchdog: the browser test took more than 60 s`);
  console.log(`${label}: ${pass} passed, ${fail + 1} failed`);
  process.exit(1);
}, 60000);

const profile = mkdtempSync(join(tmpdir(), 'dynsess-chromium-'));
let context;
try {
  // launchPersistentContext gives Chromium a fresh --user-data-dir (profile);
  // headless: true adds --headless.
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 20000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(10000);
  context.setDefaultNavigationTimeout(10000);
  const page = context.pages()[0] || await context.newPage();
  const shot = async (name) => {
    if (!shots) return;
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, `browser-${store}-${name}.png`) });
  };
  const sessionCookie = async () => (await context.cookies(base)).find((c) => c.name === 'session');
  const text = async (sel) => ((await page.locator(sel).count()) ? (await page.locator(sel).innerText()).trim() : null);
  const visits = async () => Number(await text('#visits'));

  // 1. first visit: anonymous session with a counter
  await page.goto(base + '/');
  check((await text('#who') || '').startsWith('Not logged in'), 'first visit: not logged in', await text('#who'));
  check(await visits() === 1, 'first visit: counter is 1', String(await visits()));
  check(await text('#store') === store, `store in use is ${store}`, await text('#store'));
  let c = await sessionCookie();
  check(!!c, 'session cookie set');
  if (c) {
    check(c.httpOnly === true, 'cookie is HttpOnly');
    check(c.sameSite === 'Lax', 'cookie is SameSite=Lax', c.sameSite);
    // Chromium treats http://127.0.0.1 as a secure context: Secure cookies are kept
    check(c.secure === true, 'cookie is Secure (accepted on http://127.0.0.1)');
    check(c.path === '/', 'cookie Path=/', c.path);
    const left = c.expires - Date.now() / 1000;
    check(left > 3000 && left <= 3601, 'cookie Max-Age about 3600 s', String(left));
    check(!(await page.evaluate(() => document.cookie)).includes('session='),
          'scripts cannot read the cookie (document.cookie)');
  }

  // 2. reload: the counter rises
  await page.reload();
  check(await visits() === 2, 'reload: counter is 2', String(await visits()));
  await page.reload();
  check(await visits() === 3, 'reload: counter is 3', String(await visits()));

  // 3. log in: user set, id regenerated, data kept
  const before = (await sessionCookie())?.value;
  if (before && store !== 'cookie') console.log(`SESSION_ID anonymous ${before}`);
  await page.goto(base + '/login');
  await page.fill('#name', 'alice <&> "quoted"');
  await Promise.all([page.waitForURL(base + '/'), page.click('#submit')]);
  check(await text('#user') === 'alice <&> "quoted"', 'login: shows the user (HTML-escaped)', await text('#user'));
  check(await visits() === 4, 'login: counter kept across regenerate (4)', String(await visits()));
  c = await sessionCookie();
  check(c && before && c.value !== before, 'login: cookie value changed (new id / re-sealed)');
  if (c && store !== 'cookie') console.log(`SESSION_ID alice ${c.value}`);
  await shot('logged-in');
  await page.reload();
  check(await visits() === 5 && await text('#user') === 'alice <&> "quoted"', 'reload while logged in: 5, still alice');

  // 4. /api/session returns the session as JSON
  const api = await page.goto(base + '/api/session');
  let j = null;
  try { j = await api.json(); } catch (e) { bad('api: JSON reply', String(e)); }
  if (j) {
    check(j.store === store && j.data && j.data.user === 'alice <&> "quoted"' && j.data.visits === 5 &&
          typeof j.data.login_at === 'number' && j.is_new === false && j.id === undefined,
          'api: /api/session has user, visits, login_at and no id', JSON.stringify(j));
  }

  // 5. tamper with the cookie: logged out, fresh session
  c = await sessionCookie();
  if (c) {
    const v = c.value;
    const i = Math.floor(v.length / 2);
    const flipped = v.slice(0, i) + (v[i] === 'A' ? 'B' : 'A') + v.slice(i + 1);
    await context.addCookies([{ ...c, value: flipped }]);
    check((await sessionCookie()).value === flipped, 'tamper: browser holds the changed cookie');
    await page.goto(base + '/');
    check((await text('#who') || '').startsWith('Not logged in'), 'tamper: logged out', await text('#who'));
    check(await visits() === 1, 'tamper: a fresh session (counter 1)', String(await visits()));
    const c2 = await sessionCookie();
    check(c2 && c2.value !== flipped, 'tamper: the server replaced the cookie');
    await shot('tampered');
  } else {
    bad('tamper: no cookie to tamper with');
  }

  // 6. log in again, then log out: the cookie is gone
  await page.goto(base + '/login');
  await page.fill('#name', 'bob');
  await Promise.all([page.waitForURL(base + '/'), page.click('#submit')]);
  check(await text('#user') === 'bob', 'second login: bob', await text('#user'));
  c = await sessionCookie();
  if (c && store !== 'cookie') console.log(`SESSION_ID bob ${c.value}`);
  await Promise.all([page.waitForURL(/\/login/), page.click('#logout')]);
  check(!(await sessionCookie()), 'logout: session cookie deleted');
  check((await text('#bye') || '').includes('logged out'), 'logout: lands on the login page', await text('#bye'));
  await shot('logged-out');
  await page.goto(base + '/api/session');
  const j2 = JSON.parse(await page.locator('body').innerText());
  check(j2.is_new === true && !j2.data.user, 'after logout: /api/session is a new, empty session', JSON.stringify(j2));
  check(!(await sessionCookie()), 'after logout: reading /api/session sets no cookie');
} catch (e) {
  bad('unexpected error', (e && e.stack) || String(e));
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(watchdog);
}
console.log(`${label}: ${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
