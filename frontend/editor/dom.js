// Tiny DOM helpers: element builder, dialogs and toasts.
import { t } from "./i18n.js";

/** h("div.cls#id", {attrs}, ...children) */
export function h(spec, attrs = {}, ...children) {
  const [tagAndClasses, id] = spec.split("#");
  const [tag, ...classes] = tagAndClasses.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  if (id) el.id = id;
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/**
 * Show a modal dialog. `buttons` are {label, value, kind}; resolves with the clicked value
 * (or null when closed with Esc / the ✕). `onOpen(dialog)` may focus a field.
 */
export function modal({ title, body, buttons = [], wide = false, onOpen, id }) {
  return new Promise((resolve) => {
    const dialog = h(`dialog.modal${wide ? ".modal-wide" : ""}`, { id });
    const close = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const footer = h("div.modal-foot");
    for (const button of buttons) {
      const el = h(`button.btn${button.kind ? ".btn-" + button.kind : ""}`, {
        type: "button",
        "data-value": button.value,
        onclick: async () => {
          if (button.validate && !(await button.validate(dialog))) return;
          close(button.value);
        },
      }, button.label);
      footer.append(el);
    }
    dialog.append(
      h("div.modal-head", {}, h("h2", {}, title),
        h("button.icon-button", { type: "button", "aria-label": t("close"), onclick: () => close(null) }, "✕")),
      h("div.modal-body", {}, body),
      footer,
    );
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(null); });
    document.body.append(dialog);
    dialog.showModal();
    onOpen?.(dialog);
  });
}

export function toast(message, kind = "info") {
  const host = document.getElementById("toasts");
  const el = h(`div.toast.toast-${kind}`, { role: "status" }, message);
  host.append(el);
  setTimeout(() => el.classList.add("fade"), 3500);
  setTimeout(() => el.remove(), 4200);
}

/** A time as every page shows it (`2026-12-02 05:11:03`, UTC): Funcpad.format.time. */
export function relativeTime(iso) {
  return window.Funcpad.format.time(iso);
}
