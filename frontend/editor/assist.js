// Help while typing: server-side lint (pyflakes) underlines, the function outline for the picker,
// completion of DFF.* and the DataKit helper's methods, and the highlighted error line of a run.
import { linter } from "@codemirror/lint";
import { pythonLanguage } from "@codemirror/lang-python";
import { Decoration, EditorView } from "@codemirror/view";
import { StateEffect, StateField } from "@codemirror/state";
import { api } from "./api.js";
import { bootData, t } from "./i18n.js";

const LINT_DELAY_MS = 400;

// DFF.* and the DataKit helper's methods, with signatures and words from the SDK's own
// docstrings (webapp/views/script_reference.py), each linking its entry on the Script API page.
function completionOptions(items, type) {
  return items.map((item) => ({
    label: item.label,
    type,
    detail: item.detail,
    info: () => {
      const box = document.createElement("div");
      box.className = "completion-doc";
      const text = document.createElement("p");
      text.textContent = item.info;
      const link = document.createElement("a");
      link.href = `/docs/scripts#${encodeURIComponent(item.docs)}`;
      link.target = "_blank";
      link.rel = "noopener";
      link.className = "completion-docs-link";
      link.textContent = t("openDocs");
      box.append(text, link);
      return box;
    },
  }));
}

const DFF_MEMBERS = completionOptions(bootData.completions?.dff || [], "function");
const DATAKIT_METHODS = completionOptions(bootData.completions?.datakit || [], "method");

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

