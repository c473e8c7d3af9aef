// The live path: JupyterLab (started by tests/test_lab_browser.py) in headless Chromium, every
// request but 127.0.0.1 aborted. For each notebook: open it, run its cells up to and including its
// explorer, wait for the kernel,
// collect cell errors, console errors and raw MyST markup left in rendered markdown, then drag the
// first slider of the first explorer and report whether its image changed (screenshots before and
// after). Usage: node lab_live.mjs SHOT_DIR BASE_URL TOKEN NOTEBOOK... ; prints JSON.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const [shotDir, base, token, ...notebooks] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
async function check(nb) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  let recording = true;
  page.on("console", (m) => {
    if (recording && m.type() === "error") errors.push(`${m.text()} [${m.location().url || ""}]`);
  });
  page.on("pageerror", (e) => { if (recording) errors.push(String(e)); });
  await page.route("**/*", (route) => {
    const url = route.request().url();
    return url.startsWith("http://127.0.0.1") || url.startsWith("data:") || url.startsWith("blob:")
      ? route.continue() : route.abort();
  });
  const entry = { notebook: nb, errors, cellErrors: [], rawMyst: [], changed: null };
  try {
    await page.goto(`${base}/lab/tree/${nb}?reset&token=${token}`, { waitUntil: "load" });
    await page.waitForFunction(() => {
      const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
      return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel
        && w.content && w.content.widgets.length > 0;
    }, null, { timeout: 120000, polling: 250 });
    const kernelId = await page.evaluate(
      () => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id);
    const t0 = Date.now();
    // run the notebook up to and including its explorer (the cell that calls `.explorer(`): the
    // kernel path is what this test proves; the rest of each notebook runs in nbval and the book
    entry.ranCells = await page.evaluate(async () => {
      const w = window.jupyterapp.shell.currentWidget;
      await w.sessionContext.ready;
      const cells = w.content.widgets;
      const at = cells.findIndex((c) => c.model.type === "code"
        && c.model.sharedModel.getSource().includes("explorer("));
      if (at < 0 || at === cells.length - 1) {
        await window.jupyterapp.commands.execute("notebook:run-all-cells");
        return cells.length;
      }
      w.content.activeCellIndex = at + 1;
      await window.jupyterapp.commands.execute("notebook:run-all-above");
      return at + 1;
    });
    await page.waitForFunction((ran) => {
      const w = window.jupyterapp.shell.currentWidget;
      const code = w.content.widgets.slice(0, ran).filter((c) => c.model.type === "code");
      return w.sessionContext.session.kernel.status === "idle"
        && code.every((c) => c.model.executionCount !== null
          && !(c.node.querySelector(".jp-InputPrompt") || {}).textContent?.includes("*"));
    }, entry.ranCells, { timeout: 300000, polling: 500 });
    entry.seconds = (Date.now() - t0) / 1000;
    entry.cellErrors = await page.evaluate(() => {
      const w = window.jupyterapp.shell.currentWidget;
      return w.content.widgets.filter((c) => c.model.type === "code")
        .flatMap((c) => c.model.outputs.toJSON().filter((o) => o.output_type === "error")
          .map((o) => `${o.ename}: ${o.evalue}`));
    });
    // rendered markdown cells (jupyterlab-myst renders them; a raw {role} means it did not)
    const markdown = await page.evaluate(() => Array.from(
      document.querySelectorAll(".jp-MarkdownCell .myst")).map((el) => el.innerText));
    entry.markdownCells = markdown.length;
    entry.rawMyst = markdown.filter((t) => /\{(doc|cite|ref|eq|numref)\}|`\.\.\/theory/.test(t))
      .map((t) => t.slice(0, 160));
    entry.firstMarkdown = (markdown[0] || "").slice(0, 600);
    // the first explorer: the first widget box holding an image and a slider or a drop-down
    const explorer = page.locator(
      ".jp-OutputArea-output .widget-vbox:has(.widget-image):has(.noUi-handle, .widget-dropdown select)").first();
    await explorer.scrollIntoViewIfNeeded();
    const img = explorer.locator("img").first();
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 60000 });
    const before = await img.getAttribute("src");
    const shotBefore = await explorer.screenshot();
    const handle = explorer.locator(".noUi-handle").first();
    if (await handle.count() > 0) {  // drag the first slider's handle
      const box = await handle.boundingBox();
      const y = box.y + box.height / 2;
      await page.mouse.move(box.x + box.width / 2, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 + 70, y, { steps: 10 });
      await page.mouse.up();
    } else {  // an explorer of drop-downs: pick the first one's next option
      const select = explorer.locator(".widget-dropdown select").first();
      const options = await select.locator("option").evaluateAll((os) => os.map((o) => o.value));
      const current = await select.inputValue();
      await select.selectOption(options[(options.indexOf(current) + 1) % options.length]);
    }
    await page.waitForFunction(([el, old]) => el.getAttribute("src") !== old,
      [await img.elementHandle(), before], { timeout: 120000, polling: 200 }).catch(() => {});
    await page.waitForTimeout(300);
    const shotAfter = await explorer.screenshot();
    const name = nb.replace(".ipynb", "");
    writeFileSync(`${shotDir}/lab-${name}-before.png`, shotBefore);
    writeFileSync(`${shotDir}/lab-${name}-after.png`, shotAfter);
    await page.screenshot({ path: `${shotDir}/lab-${name}-page.png` });
    entry.changed = (await img.getAttribute("src")) !== before && !shotBefore.equals(shotAfter);
    // The checks end here. Shutting the kernel down makes the page's still-open websocket retry
    // a kernel that no longer exists (a 404 in the console); that is the harness, not the
    // notebook, so the console record is closed before the shutdown. For the same reason a
    // request to another kernel's URL (one the harness shut down for an earlier notebook, which
    // the server's session list can still name while the page loads) is set aside, listed apart.
    const foreign = (e) => {
      const k = e.match(/\/api\/kernels\/([0-9a-f-]{36})/);
      return k !== null && k[1] !== kernelId;
    };
    entry.otherKernels = errors.filter(foreign);
    entry.errors = errors.filter((e) => !foreign(e));
    recording = false;
    await page.evaluate(() => window.jupyterapp.commands.execute("kernelmenu:shutdown"));
  } catch (e) {
    entry.failure = String(e).slice(0, 500);
  }
  await page.close();
  return entry;
}
// two notebooks at a time (each kernel uses half the cores for torch, as in the book build)
const lanes = [[], []];
notebooks.forEach((nb, i) => lanes[i % 2].push(nb));
const byLane = await Promise.all(lanes.map(async (lane) => {
  const out = [];
  for (const nb of lane) out.push(await check(nb));
  return out;
}));
const results = byLane.flat();
await browser.close();
console.log(JSON.stringify(results));
