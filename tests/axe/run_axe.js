// Run axe-core (WCAG 2.1 A/AA rules) in headless Chromium on local HTML files and print
// one JSON object: {"<file>": [violation, ...], ...}. Used by tests/test_render_parity.py.
//
//   node tests/axe/run_axe.js MODULES_DIR CHROMIUM [--disable RULE[,RULE]] [--rows N] file.html [...]
//
// --disable leaves rules out (in every file), e.g. color-contrast, the slowest rule on a
// large page, for a page that differs from one already checked only in its words.
// --rows N checks the first N rows of each table body only (rows further down have the
// same markup and styles; the report's municipality lookup has 357 rows).
//
// MODULES_DIR holds node_modules/axe-core and node_modules/playwright-core (installed by
// .ci/run with the versions pinned in tests/axe/package.json).
"use strict";
const fs = require("fs");
const path = require("path");
const url = require("url");

const [modules, chromiumPath, ...args] = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const disabled = (option("--disable") || "").split(",").filter(Boolean);
const rows = Number(option("--rows") || 0);
const files = args;
const { chromium } = require(path.join(modules, "node_modules", "playwright-core"));
const axeSource = fs.readFileSync(
  path.join(modules, "node_modules", "axe-core", "axe.min.js"),
  "utf8",
);
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

(async () => {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const out = {};
  try {
    for (const file of files) {
      const page = await browser.newPage();
      await page.goto(url.pathToFileURL(path.resolve(file)).href, { waitUntil: "load" });
      await page.addScriptTag({ content: axeSource });
      const result = await page.evaluate(
        async ([tags, off, rows]) =>
          await window.axe.run(
            rows ? { exclude: [[`tbody > tr:nth-child(n+${rows + 1})`]] } : document,
            {
              runOnly: { type: "tag", values: tags },
              rules: Object.fromEntries(off.map((id) => [id, { enabled: false }])),
            },
          ),
        [TAGS, disabled, rows],
      );
      out[file] = result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, html: n.html.slice(0, 200) })),
      }));
      await page.close();
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out, null, 1) + "\n");
})().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + "\n");
  process.exit(2);
});
