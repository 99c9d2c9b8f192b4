// Headless render check: every display (JSON [{id, tex}] on stdin) through MathJax 3 and KaTeX.
//
// MathJax 3 is set up as JupyterLab 4 / Notebook 7 set it up for TeX input
// (packages/mathjax-extension: `new TeX({packages: AllPackages.concat('require'), processEscapes:
// true, processEnvironments: true})`; 'require' only loads packages on demand and is left out).
// AllPackages includes textmacros, which reads \text{} as LaTeX text (\textbar is an error there,
// $…$ is math), and noundefined, which shows an undefined macro as red text instead of an error.
// An error is a thrown TeX error, an <merror> node, or noundefined's red text in the output.  KaTeX runs with
// throwOnError and strict mode, as GitHub-like and documentation renderers use it.
// Prints JSON [{id, engine, error}] for the displays that failed; exit status 0 either way.
import { readFileSync } from "node:fs";
import katex from "katex";
import { mathjax } from "mathjax-full/js/mathjax.js";
import { TeX } from "mathjax-full/js/input/tex.js";
import { SVG } from "mathjax-full/js/output/svg.js";
import { liteAdaptor } from "mathjax-full/js/adaptors/liteAdaptor.js";
import { RegisterHTMLHandler } from "mathjax-full/js/handlers/html.js";
import { AllPackages } from "mathjax-full/js/input/tex/AllPackages.js";

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);
const tex = new TeX({
  packages: AllPackages,
  processEscapes: true,
  processEnvironments: true,
  formatError: (_jax, err) => {
    throw err;
  },
});
const doc = mathjax.document("", { InputJax: tex, OutputJax: new SVG({ fontCache: "none" }) });

function mathjaxError(source) {
  try {
    const node = doc.convert(source, { display: true });
    const html = adaptor.outerHTML(node);
    if (html.includes("data-mjx-error") || html.includes("merror")) {
      const match = html.match(/data-mjx-error="([^"]*)"/);
      return match ? match[1] : "merror in output";
    }
    if (/mathcolor="red"|fill="red"/.test(html)) {
      return "undefined control sequence (shown in red by noundefined)";
    }
    return null;
  } catch (err) {
    return String(err.message || err);
  }
}

function katexError(source) {
  try {
    // maxExpand: the d = 2 expansion displays of proofs/ exceed KaTeX's default of 1000 macro
    // expansions (they are long, not wrong); every other option is the default.
    katex.renderToString(source, { displayMode: true, throwOnError: true, strict: "error", maxExpand: 100000 });
    return null;
  } catch (err) {
    return String(err.message || err);
  }
}

const items = JSON.parse(readFileSync(0, "utf8"));
const failures = [];
for (const { id, tex: source } of items) {
  for (const [engine, check] of [["mathjax3", mathjaxError], ["katex", katexError]]) {
    const error = check(source);
    if (error !== null) failures.push({ id, engine, error });
  }
}
process.stdout.write(JSON.stringify(failures));
