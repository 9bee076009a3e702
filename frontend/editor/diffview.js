// Diff views built on @codemirror/merge: side by side (MergeView) or inline (unifiedMergeView).
import { EditorView } from "@codemirror/view";
import { EditorState } from "@codemirror/state";
import { MergeView, unifiedMergeView } from "@codemirror/merge";
import { baseExtensions } from "./codeeditor.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const readOnly = [EditorState.readOnly.of(true), EditorView.editable.of(false)];
const collapse = { margin: 3, minSize: 6 };

let mode = localStorage.getItem("funcpad.diffMode") || "split";

/**
 * A diff panel element comparing `from` and `to` ({label, code}); it has its own
 * side-by-side / inline switch. `views()` lists the live EditorViews (for theme changes).
 */
export function diffPanel(from, to) {
  const host = h("div.diff-host");
  const views = [];
  const header = h("div.diff-labels",
    {}, h("span.diff-label.diff-label-from", {}, from.label), h("span.diff-arrow", {}, "→"),
    h("span.diff-label.diff-label-to", {}, to.label));
  const splitButton = h("button.seg", { type: "button", "data-mode": "split" }, t("sideBySide"));
  const inlineButton = h("button.seg", { type: "button", "data-mode": "inline" }, t("inline"));
  const switcher = h("div.segmented", { role: "group" }, splitButton, inlineButton);
  const same = from.code === to.code;

  function render() {
    views.splice(0).forEach((view) => view.destroy());
    host.replaceChildren();
    splitButton.classList.toggle("active", mode === "split");
    inlineButton.classList.toggle("active", mode === "inline");
    if (same) {
      host.append(h("p.diff-empty", {}, t("noDifferences")));
      return;
    }
    if (mode === "split") {
      const merge = new MergeView({
        a: { doc: from.code, extensions: [baseExtensions(), readOnly] },
        b: { doc: to.code, extensions: [baseExtensions(), readOnly] },
        parent: host,
        collapseUnchanged: collapse,
        gutter: true,
        highlightChanges: true,
      });
      views.push(merge.a, merge.b);
      merge.dom.classList.add("diff-split");
      // MergeView is not an EditorView; keep a handle so it is destroyed with its editors.
      views.push({ destroy: () => merge.destroy() });
    } else {
      const view = new EditorView({
        parent: host,
        state: EditorState.create({
          doc: to.code,
          extensions: [
            baseExtensions(), readOnly,
            unifiedMergeView({ original: from.code, mergeControls: false, collapseUnchanged: collapse }),
          ],
        }),
      });
      view.dom.classList.add("diff-inline");
      views.push(view);
    }
  }

  switcher.addEventListener("click", (event) => {
    const button = event.target.closest("[data-mode]");
    if (!button || button.dataset.mode === mode) return;
    mode = button.dataset.mode;
    localStorage.setItem("funcpad.diffMode", mode);
    render();
  });
  render();
  const element = h("div.diff-panel", {}, h("div.diff-toolbar", {}, header, switcher), host);
  element.destroy = () => views.splice(0).forEach((view) => view.destroy());
  element.editorViews = () => views.filter((view) => view instanceof EditorView);
  return element;
}
