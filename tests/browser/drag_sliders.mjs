// For each page, in one browser: console errors, failed loads, images that did not decode, the DOM
// once MathJax and the widget manager are done (written to SCREENSHOT_DIR/<page>.dom.html) and the
// first screen; then drag the first slider of its first static explorer and report, as JSON,
// whether the figure changed; then the same page resized to 390 px. Usage: node drag_sliders.mjs SCREENSHOT_DIR file:///.../page.html ...
// Chromium is Debian's (/usr/bin/chromium or $CHROMIUM); every non-file request is aborted.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const [shotDir, ...urls] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const results = [];
for (const url of urls) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("requestfailed", (r) => {
    if (r.url().startsWith("file:")) errors.push(`failed to load ${r.url()}`);
  });
  await page.route("**/*", (route) => {  // offline: a page that asks the network fails
    if (route.request().url().startsWith("file:")) return route.continue();
    errors.push(`network request to ${route.request().url().slice(0, 120)}`);
    return route.abort();
  });
  await page.goto(url, { waitUntil: "load" });
  // what --virtual-time-budget gave `chromium --dump-dom`: MathJax typeset, widgets rendered
  await page.evaluate(async () => {
    const mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
    if (mj && mj.typesetPromise) await mj.typesetPromise();
  }).catch((e) => errors.push(`MathJax: ${e}`));
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(300);
  const explorers = page.locator(".tb-static-explorer[data-ready='true']");
  const count = await explorers.count();
  const name = url.split("/").slice(-2).join("_").replace(".html", "");
  const broken = await page.evaluate(() => Array.from(document.images)
    .filter((im) => !(im.complete && im.naturalWidth > 0)).map((im) => im.src.slice(0, 120)));
  // tables wider than their container (a horizontal scroll bar), by their first header cell
  const overflow = await page.evaluate(() => Array.from(document.querySelectorAll(
    ".pst-scrollable-table-container, article table")).filter((el) => el.scrollWidth > el.clientWidth + 1)
    .map((el) => (el.querySelector("th") || el).textContent.trim().slice(0, 40)));
  const entry = { url, explorers: count, errors, changed: null, images: await page.evaluate(
    () => document.images.length), broken, overflow };
  // the first screen as a reader sees it (the README shows the chapters' openings), and the DOM
  entry.shot = `${shotDir}/${name}-first-screen.png`;
  writeFileSync(entry.shot, await page.screenshot());
  entry.dom = `${shotDir}/${name}.dom.html`;
  writeFileSync(entry.dom, await page.content());
  if (count > 0) {
    const root = explorers.first();
    await root.scrollIntoViewIfNeeded();
    const img = root.locator("img.tb-frame");
    const before = await img.getAttribute("src");
    const shotBefore = await root.screenshot();
    const slider = root.locator("input[type=range]").first();
    let value;
    if (await slider.count() > 0) {  // a range input: drag its handle with the mouse
      const box = await slider.boundingBox();
      value = Number(await slider.inputValue());
      const max = Number(await slider.getAttribute("max"));
      const y = box.y + box.height / 2;
      const startX = box.x + 8 + (box.width - 16) * (value / max);
      const endX = value < max / 2 ? box.x + box.width - 4 : box.x + 4;
      await page.mouse.move(startX, y);
      await page.mouse.down();
      await page.mouse.move(endX, y, { steps: 12 });
      await page.mouse.up();
    } else {  // only drop-downs: pick another option, as a reader would
      const select = root.locator("select[data-control]").first();
      value = Number(await select.inputValue());
      const count = await select.locator("option").count();
      await select.selectOption(String(value === count - 1 ? 0 : value + 1));
    }
    await page.waitForTimeout(200);
    const after = await img.getAttribute("src");
    const shotAfter = await root.screenshot();
    writeFileSync(`${shotDir}/${name}-slider-before.png`, shotBefore);
    writeFileSync(`${shotDir}/${name}-slider-after.png`, shotAfter);
    entry.changed = before !== after && !shotBefore.equals(shotAfter);
    entry.value = [value, Number(await (await slider.count() > 0
      ? slider : root.locator("select[data-control]").first()).inputValue())];
    // the other side of theorybench.static_view.SCHEMA: which frame the script chose, and where
    entry.frame = Number(await root.getAttribute("data-frame"));
    entry.positions = await root.locator("[data-control]").evaluateAll(
      (els) => els.map((el) => Number(el.value)));
    entry.sizes = JSON.parse(await root.locator("script.tb-frames").textContent()).sizes;
  }
  // on a phone (390 px wide): nothing may make the page scroll sideways. The same page, its math
  // typeset, resized (the theme's layout is CSS media queries, applied again on a resize)
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  entry.phoneOverflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width + 1) return [];
    return Array.from(document.querySelectorAll("article *")).filter((el) => {
      const r = el.getBoundingClientRect();
      return r.right > width + 1 && getComputedStyle(el).position !== "fixed";
    }).slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className}`.slice(0, 80));
  });
  entry.phoneScrollWidth = await page.evaluate(() => [
    document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  await page.close();
  results.push(entry);
}
await browser.close();
console.log(JSON.stringify(results));
