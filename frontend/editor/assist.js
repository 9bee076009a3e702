// Help while typing: server-side lint (pyflakes) underlines, the function outline for the picker,
// completion of DFF.* and the DataKit helper's methods, and the highlighted error line of a run.
import { linter } from "@codemirror/lint";
import { pythonLanguage } from "@codemirror/lang-python";
import { Decoration, EditorView } from "@codemirror/view";
import { StateEffect, StateField } from "@codemirror/state";
import { api } from "./api.js";

const LINT_DELAY_MS = 400;

const DFF_MEMBERS = [
  { label: "API", type: "function", detail: "(title, category='general', tags=None, timeout=None, ...)", info: "Decorator: publish this function (title required)." },
  { label: "SRC", type: "function", detail: "(connector_id, **overrides)", info: "The helper object of a connector, e.g. DFF.SRC('datakit')." },
  { label: "CONN", type: "function", detail: "(connector_id, **overrides)", info: "Alias of DFF.SRC." },
  { label: "ENV", type: "function", detail: "(name)", info: "An environment variable, type-cast; None when missing." },
];

const DATAKIT_METHODS = [
  ["write_metric", "(measurement, tags=None, fields=None, timestamp=None, headers=None)", "POST /v1/write/metric"],
  ["write_point", "(measurement, tags=None, fields=None, timestamp=None, headers=None)", "Alias of write_metric."],
  ["write_metrics", "(data, headers=None)", "Many points: [{measurement, tags, fields, timestamp}]"],
  ["write_metric_many", "(data, headers=None)", "Alias of write_metrics."],
  ["write_points", "(data, headers=None)", "Alias of write_metrics."],
  ["write_logging", "(measurement, tags=None, fields=None, timestamp=None, headers=None)", "POST /v1/write/logging"],
  ["write_logging_many", "(data, headers=None)", "Many log lines."],
  ["write_loggings", "(data, headers=None)", "Alias of write_logging_many."],
  ["write_by_category", "(category, measurement, tags=None, fields=None, timestamp=None)", "POST /v1/write/<category>"],
  ["write_by_category_many", "(category, data)", "Many points of one category."],
  ["post_line_protocol", "(path, points, query=None, headers=None)", "POST line protocol to any path."],
  ["post_json", "(path, obj, query=None, headers=None)", "POST JSON to any path."],
  ["get", "(path, query=None, headers=None)", "GET any path, e.g. /v1/ping."],
  ["query", "(dql, ...)", "POST /v1/query/raw"],
].map(([label, detail, info]) => ({ label, type: "method", detail, info }));

/** Variables assigned from DFF.SRC(...) / DFF.CONN(...) in the document. */
function helperVariables(text) {
  const names = new Set();
  for (const match of text.matchAll(/(\w+)\s*=\s*DFF\.(?:SRC|CONN)\(/g)) names.add(match[1]);
  return names;
}

function scriptCompletions(context) {
  const before = context.matchBefore(/[\w.()'"]*\.\w*$/);
  if (!before) return null;
  const text = before.text;
  const dot = text.lastIndexOf(".");
  const owner = text.slice(0, dot);
  const from = before.from + dot + 1;
  if (owner === "DFF" || owner.endsWith(" DFF")) return { from, options: DFF_MEMBERS, validFor: /^\w*$/ };
  const helperCall = /DFF\.(SRC|CONN)\([^)]*\)$/.test(owner);
  if (helperCall || helperVariables(context.state.doc.toString()).has(owner)) {
    return { from, options: DATAKIT_METHODS, validFor: /^\w*$/ };
  }
  return null;
}

const setErrorLine = StateEffect.define();
const errorLineMark = Decoration.line({ class: "cm-run-error-line" });

const errorLineField = StateField.define({
  create: () => Decoration.none,
  update(decorations, transaction) {
    if (transaction.docChanged) return Decoration.none;
    for (const effect of transaction.effects) {
      if (effect.is(setErrorLine)) {
        if (effect.value === null) return Decoration.none;
        const line = transaction.state.doc.line(effect.value);
        return Decoration.set([errorLineMark.range(line.from)]);
      }
    }
    return decorations;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/** Highlight a 1-based line as the error line of the last run (null clears it). */
export function markErrorLine(view, line) {
  const valid = line && line >= 1 && line <= view.state.doc.lines;
  view.dispatch({ effects: setErrorLine.of(valid ? line : null) });
}

/**
 * Extensions: lint + completion + error line. `onOutline(funcs)` receives the top-level
 * functions each time the server has checked the text.
 */
export function assistExtensions({ onOutline }) {
  const lint = linter(async (view) => {
    const code = view.state.doc.toString();
    let result;
    try {
      result = await api("POST", "/code/check", { code });
    } catch {
      return [];
    }
    if (view.state.doc.toString() !== code) return [];
    if (result.funcs) onOutline(result.funcs);
    const doc = view.state.doc;
    return result.diagnostics.map((d) => {
      const line = doc.line(Math.min(Math.max(d.line, 1), doc.lines));
      const from = Math.min(line.from + Math.max(d.column - 1, 0), line.to);
      let to = line.to;
      if (d.end_line === d.line && d.end_column) {
        to = Math.min(line.from + d.end_column - 1, line.to);
      } else {
        const word = /^[\w.]+/.exec(doc.sliceString(from, line.to));
        if (word) to = from + word[0].length;
      }
      return { from, to: Math.max(to, from), severity: d.severity, message: d.message, source: "pyflakes" };
    });
  }, { delay: LINT_DELAY_MS });
  return [
    lint,
    // basicSetup already enables autocompletion; this adds our source for Python documents.
    pythonLanguage.data.of({ autocomplete: scriptCompletions }),
    errorLineField,
  ];
}

