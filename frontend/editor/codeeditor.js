// The CodeMirror 6 editor: Python, line numbers, bracket matching, auto-indent, search/replace,
// undo history, and a light/dark theme that follows the page.
import { basicSetup } from "codemirror";
import { EditorView, keymap } from "@codemirror/view";
import { Compartment, EditorState } from "@codemirror/state";
import { indentWithTab } from "@codemirror/commands";
import { indentUnit } from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { oneDark } from "@codemirror/theme-one-dark";
import { bootData } from "./i18n.js";

const lightTheme = EditorView.theme({
  "&": { backgroundColor: "var(--code-bg)", color: "var(--code-fg)" },
  ".cm-gutters": { backgroundColor: "var(--code-gutter)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "var(--code-active-line)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--code-active-line)" },
}, { dark: false });

export const themeCompartment = new Compartment();

export function themeExtension(theme) {
  return theme === "dark" ? oneDark : lightTheme;
}

export function currentTheme() {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

/** Extensions shared by the main editor and the read-only diff editors. */
export function baseExtensions() {
  return [
    basicSetup,
    python(),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    themeCompartment.of(themeExtension(currentTheme())),
    // CodeMirror's own words (search panel, folding, lint) in the page's language.
    EditorState.phrases.of(bootData.editorPhrases || {}),
  ];
}

/**
 * The main editor. Callbacks: onChange(code), onSave(), onRun(), onCursor(line, col);
 * `extra` extensions (lint, completion) are added after the base set.
 * `setDoc(code)` loads another text with a fresh undo history (switching scripts, reloading).
 */
export function createEditor(parent, { doc, onChange, onSave, onRun, onCursor, extra = [] }) {
  const extensions = [
    keymap.of([
      { key: "Mod-s", preventDefault: true, run: () => { onSave(); return true; } },
      { key: "Mod-Enter", preventDefault: true, run: () => { onRun(); return true; } },
      indentWithTab,
    ]),
    baseExtensions(),
    extra,
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange(update.state.doc.toString());
      if (update.selectionSet || update.docChanged) {
        const head = update.state.selection.main.head;
        const line = update.state.doc.lineAt(head);
        onCursor(line.number, head - line.from + 1);
      }
    }),
  ];
  const view = new EditorView({ parent, state: EditorState.create({ doc, extensions }) });
  return {
    view,
    setDoc(code) {
      view.setState(EditorState.create({ doc: code, extensions }));
      // setState drops the current theme reconfiguration; re-apply the page's theme.
      view.dispatch({ effects: themeCompartment.reconfigure(themeExtension(currentTheme())) });
    },
    getDoc: () => view.state.doc.toString(),
    /** Move the cursor to a 1-based line and column and scroll it into view. */
    goTo(line, column = 1) {
      const target = view.state.doc.line(Math.min(Math.max(line, 1), view.state.doc.lines));
      const pos = Math.min(target.from + Math.max(column - 1, 0), target.to);
      view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      view.focus();
    },
  };
}

/** Follow page theme changes (the toggle in the top bar) in every editor on the page. */
export function followTheme() {
  window.addEventListener("funcpad:theme", (event) => {
    for (const dom of document.querySelectorAll(".cm-editor")) {
      EditorView.findFromDOM(dom)?.dispatch({
        effects: themeCompartment.reconfigure(themeExtension(event.detail)),
      });
    }
  });
}
