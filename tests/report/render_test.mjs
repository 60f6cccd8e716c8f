// Opens an xpusim HTML report in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core
// from web/node_modules) and checks that it draws: no console error, page error or failed request, no
// request leaving file://, every chart container holds an SVG with drawn marks, no two text marks of a
// chart overlap (their bounding boxes, as drawn), the page opens with the answer sentence. Saves a
// full-page screenshot.
//   node render_test.mjs REPORT.html SCREENSHOT.png
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const chromiumPath = "/usr/bin/chromium";
const webDir = fileURLToPath(new URL("../../web/", import.meta.url));

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

const [reportArg, screenshotArg] = process.argv.slice(2);
if (!reportArg || !screenshotArg) fail("usage: node render_test.mjs REPORT.html SCREENSHOT.png");
const report = resolve(reportArg);
if (!existsSync(report)) fail(`no report at ${report}`);
if (!existsSync(chromiumPath)) fail(`${chromiumPath} is missing: run scripts/install-deps (Debian package chromium)`);
if (!existsSync(join(webDir, "node_modules", "playwright-core")))
  fail("web/node_modules/playwright-core is missing: run scripts/install-deps (npm ci in web/)");

const { chromium } = createRequire(join(webDir, "package.json"))("playwright-core");

const problems = [];
const userDataDir = mkdtempSync(join(tmpdir(), "xpusim-report-test-"));
let context;
try {
  const started = Date.now();
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1240, height: 900 },
    deviceScaleFactor: 1,
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith("file:") && !url.startsWith("data:") && !url.startsWith("blob:"))
      problems.push(`request leaves the file: ${url}`);
  });

  await page.goto(pathToFileURL(report).href, { waitUntil: "load", timeout: 30_000 });
  await page.waitForSelector("body[data-charts]", { timeout: 30_000 });
  const state = await page.getAttribute("body", "data-charts");
  if (state !== "drawn") problems.push(`charts not drawn: body data-charts="${state}"`);

  const charts = await page.$$eval(".chart", (boxes) =>
    boxes.map((box) => ({
      id: box.id,
      svg: box.querySelector("svg") !== null,
      // Marks the chart drew from data (not axes or legends): role-mark groups of bars, points, lines,
      // rules (SVG <line>) and text.
      marks: box.querySelectorAll("g.role-mark > path, g.role-mark > rect, g.role-mark > line, g.role-mark > text")
        .length,
      shapes: box.querySelectorAll("g.mark-rect.role-mark > path, g.mark-symbol.role-mark > path").length,
      // The drawn boxes of the chart's text marks (labels and totals, not axes or legends).
      texts: Array.from(box.querySelectorAll("g.mark-text.role-mark > text"))
        .filter((text) => text.textContent.trim() !== "")
        .map((text) => {
          const r = text.getBoundingClientRect();
          return { text: text.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
        }),
    })));
  if (charts.length === 0) problems.push("the report has no chart containers");
  for (const chart of charts) {
    if (!chart.svg) problems.push(`${chart.id}: no SVG`);
    else if (chart.shapes === 0) problems.push(`${chart.id}: SVG without bars or points (${chart.marks} marks)`);
    // Touching edges are fine; half a pixel of overlap is not.
    const overlap = (a, b) =>
      Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
      Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
    chart.texts.forEach((a, i) =>
      chart.texts.slice(i + 1).forEach((b) => {
        if (overlap(a, b)) problems.push(`${chart.id}: labels "${a.text}" and "${b.text}" overlap`);
      }));
  }
  const answer = await page.$eval("main > header > p.answer:first-child", (p) => p.textContent).catch(() => "");
  if (!/^(In \d{4}, )?(Build|Buy|Rent|No|build|buy|rent|no) /.test(answer))
    problems.push(`the page does not open with the answer sentence: "${answer}"`);
  const empties = await page.$$eval("p.empty", (ps) => ps.map((p) => p.textContent));
  const rows = await page.$$eval("table tbody tr", (trs) => trs.length);
  if (rows === 0) problems.push("the systems table has no rows");

  await page.screenshot({ path: resolve(screenshotArg), fullPage: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`answer: ${answer}`);
  for (const chart of charts)
    console.log(`${chart.id}: svg, ${chart.shapes} bars or points, ${chart.marks} marks, ${chart.texts.length} labels`);
  for (const empty of empties) console.log(`no chart: ${empty}`);
  console.log(`${rows} table rows; screenshot ${resolve(screenshotArg)}; ${seconds} s in the browser`);
} catch (error) {
  problems.push(`${error.name}: ${error.message}`);
} finally {
  if (context) await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`FAIL: ${problem}`);
  process.exit(1);
}
console.log("PASS");
