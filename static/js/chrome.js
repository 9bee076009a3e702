// Page chrome shared by every page: theme toggle, drop-down menus, confirm-before-submit forms,
// copy buttons, flash messages, and window.Funcpad.confirm / notify (an in-page dialog and
// toasts instead of the browser's confirm() and alert()). Plain script (no bundle) so it works
// on pages that load nothing else.
(function () {
  "use strict";

  const labelsNode = document.getElementById("chrome-messages");
  const labels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  const label = (key, fallback) => labels[key] || fallback;

  /** An in-page confirmation; resolves true (confirmed) or false (cancelled, Esc). */
  function confirmDialog(message, options = {}) {
    return new Promise((resolve) => {
      const dialog = document.createElement("dialog");
      dialog.className = "modal confirm-dialog";
      const body = document.createElement("div");
      body.className = "modal-body";
      body.textContent = message;
      const foot = document.createElement("div");
      foot.className = "modal-foot";
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "btn";
      cancel.textContent = options.cancelLabel || label("cancel", "Cancel");
      const ok = document.createElement("button");
      ok.type = "button";
      ok.className = `btn ${options.danger ? "btn-danger" : "btn-primary"}`;
      ok.dataset.confirmOk = "";
      ok.textContent = options.confirmLabel || label("ok", "OK");
      foot.append(cancel, ok);
      dialog.append(body, foot);
      const close = (value) => { dialog.close(); dialog.remove(); resolve(value); };
      cancel.addEventListener("click", () => close(false));
      ok.addEventListener("click", () => close(true));
      dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(false); });
      document.body.append(dialog);
      dialog.showModal();
      ok.focus();
    });
  }

  /** A toast at the bottom right; errors stay until dismissed, others fade after a while. */
  function notify(message, kind = "info") {
    let host = document.getElementById("toasts");
    if (!host) {
      host = document.createElement("div");
      host.id = "toasts";
      host.className = "toast-host";
      document.body.append(host);
    }
    const el = document.createElement("div");
    el.className = `toast toast-${kind}`;
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    el.textContent = message;
    dismissible(el, kind === "error" ? 0 : 4000);
    host.append(el);
    return el;
  }

  /** Give a flash or toast a ✕; after `fadeAfter` ms (0: never) it fades, then it is removed,
   *  so an invisible box never sits over the page catching clicks. */
  function dismissible(el, fadeAfter) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "flash-close";
    button.setAttribute("aria-label", label("dismiss", "Dismiss"));
    button.textContent = "✕";
    const remove = () => {
      el.classList.add("fade");
      setTimeout(() => el.remove(), 500);
    };
    button.addEventListener("click", remove);
    el.append(button);
    if (fadeAfter) setTimeout(remove, fadeAfter);
  }

  // One way to show times, durations, values and log lines: the same rules as
  // webapp/views/formatting.py (tests/browser/test_formats.py holds them together).
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  const format = {
    /** `2026-12-02 05:11:03` (UTC), or — for nothing. */
    time(value, { seconds = true } = {}) {
      if (!value) return "—";
      const d = new Date(value);
      const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
      const clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
      return `${day} ${clock}${seconds ? `:${pad(d.getUTCSeconds())}` : ""}`;
    },
    /** `114 ms`, `1.25 s`, `2 min 05 s`. */
    duration(ms) {
      if (ms === null || ms === undefined) return "—";
      if (ms < 1000) return `${Math.round(ms)} ms`;
      if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
      const total = Math.round(ms / 1000);
      return `${Math.floor(total / 60)} min ${pad(total % 60)} s`;
    },
    /** JSON, as the API returns it (objects and arrays indented). */
    value(value) {
      if (value === undefined) return "null";
      return JSON.stringify(value, null, value !== null && typeof value === "object" ? 2 : undefined);
    },
    /** `[MM-DD HH:MM:SS] [+Δms] [total ms]` (UTC) from the run's start. */
    logPrefix(time, previous, start) {
      const d = new Date(time);
      const stamp = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
        `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
      const step = Math.max(0, Math.round(d - new Date(previous)));
      const total = Math.max(0, Math.round(d - new Date(start)));
      return `[${stamp}] [+${step}ms] [${total}ms]`;
    },
    /** The wall clock of `timeZone`, with the weekday in the page's language:
     *  `Wed 2026-12-02 05:00:00` / `周三 2026-12-02 05:00:00`. */
    zonedTime(value, timeZone) {
      const d = new Date(value);
      const parts = {};
      new Intl.DateTimeFormat("en-US", {
        timeZone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
      }).formatToParts(d).forEach((part) => { parts[part.type] = part.value; });
      const weekday = new Intl.DateTimeFormat(document.documentElement.lang || "en",
        { timeZone, weekday: "short" }).format(d);
      return `${weekday} ${parts.year}-${parts.month}-${parts.day} ` +
        `${parts.hour}:${parts.minute}:${parts.second}`;
    },
    status: (status) => (labels.status || {})[status] || status || "—",
    origin: (origin) => (labels.origin || {})[origin] || origin || "—",
    statusLevel(status) {
      if (status === "success") return "info";
      return status === "failure" || status === "timeout" ? "error" : "debug";
    },
  };

  /** A message for the next page this tab shows (e.g. "saved" before a redirect). */
  function notifyNext(message, kind = "success") {
    sessionStorage.setItem("funcpad.next-message", JSON.stringify({ message, kind }));
  }

  /** Where JSON.parse gave up on `text` (browsers do not always say): a small scanner that
   *  walks the grammar and returns the index of the first character that cannot be there. */
  function jsonErrorAt(text) {
    let i = 0;
    const fail = () => { throw i; };
    const space = () => { while (/[ \t\n\r]/.test(text[i] || "")) i += 1; };
    const literal = (word) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
    function string() {
      i += 1;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\") {
          i += 1;
          if (text[i] === "u") { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 4; }
          else if (!'"\\/bfnrt'.includes(text[i] || "?")) fail();
        } else if (text.charCodeAt(i) < 0x20) fail();
        i += 1;
      }
      if (text[i] !== '"') fail();
      i += 1;
    }
    function number() {
      const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      if (!match) fail();
      i += match[0].length;
    }
    function value() {
      space();
      const c = text[i];
      if (c === "{") {
        i += 1; space();
        if (text[i] === "}") { i += 1; return; }
        for (;;) {
          space();
          if (text[i] !== '"') fail();
          string(); space();
          if (text[i] !== ":") fail();
          i += 1; value(); space();
          if (text[i] === ",") { i += 1; continue; }
          if (text[i] === "}") { i += 1; return; }
          fail();
        }
      } else if (c === "[") {
        i += 1; space();
        if (text[i] === "]") { i += 1; return; }
        for (;;) {
          value(); space();
          if (text[i] === ",") { i += 1; continue; }
          if (text[i] === "]") { i += 1; return; }
          fail();
        }
      } else if (c === '"') string();
      else if (c === "t") literal("true");
      else if (c === "f") literal("false");
      else if (c === "n") literal("null");
      else number();
    }
    try {
      value(); space();
      return i < text.length ? i : text.length;
    } catch (at) {
      return typeof at === "number" ? Math.min(at, text.length) : text.length;
    }
  }

  /** `text` as a JSON object, or an Error saying where it breaks ("line 2, column 5"), in
   *  our words rather than the browser's. */
  function parseJsonObject(text) {
    let value;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const position = jsonErrorAt(text);
      const before = text.slice(0, position).split("\n");
      const line = before.length;
      const column = before[before.length - 1].length + 1;
      const problem = new Error(label("jsonInvalid", "Not valid JSON: line %(line)s, column %(column)s.")
        .replace("%(line)s", line).replace("%(column)s", column));
      Object.assign(problem, { line, column, position });
      throw problem;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(label("jsonNotObject", 'Must be a JSON object, like {"name": "value"}.'));
    }
    return value;
  }

  /** Mark `input` as holding an error (or clear it with null), the message in `box`. */
  function fieldError(input, box, message) {
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    if (box) box.textContent = message || "";
  }

  window.Funcpad = {
    confirm: confirmDialog, notify, notifyNext, format, parseJsonObject, fieldError,
    startGuide: () => startGuide(),
  };

  const root = document.documentElement;
  const toggle = document.getElementById("theme-toggle");
  if (toggle) {
    toggle.addEventListener("click", () => {
      const next = root.dataset.theme === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      localStorage.setItem("funcpad.theme", next);
      window.dispatchEvent(new CustomEvent("funcpad:theme", { detail: next }));
    });
  }

  // <select data-submit-on-change>: filters that apply as soon as they change.
  document.addEventListener("change", (event) => {
    const field = event.target.closest("[data-submit-on-change]");
    if (field && field.form) field.form.submit();
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".menu-button");
    document.querySelectorAll(".menu.open").forEach((menu) => {
      if (!button || menu !== button.parentElement) menu.classList.remove("open");
    });
    if (button) button.parentElement.classList.toggle("open");

    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const source = document.querySelector(copy.dataset.copy);
      navigator.clipboard?.writeText(source.textContent.trim());
      copy.classList.add("copied");
      setTimeout(() => copy.classList.remove("copied"), 1200);
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.dataset.confirm || form.dataset.confirmed === "1") return;
    event.preventDefault();
    const confirmLabel = event.submitter?.textContent.trim() || undefined;
    confirmDialog(form.dataset.confirm, { danger: true, confirmLabel }).then((ok) => {
      if (!ok) return;
      form.dataset.confirmed = "1";
      form.requestSubmit(event.submitter || undefined);
    });
  });

  // --- the guided first run ------------------------------------------------------------------
  // State in localStorage ("funcpad.guide": {active, done: {step: true}}); a step is ticked
  // when this page shows it done, or when the editor reports a run or a publish.
  const guideNode = document.getElementById("guide-data");
  const guide = guideNode ? JSON.parse(guideNode.textContent) : null;
  const GUIDE_KEY = "funcpad.guide";
  const guideState = () => JSON.parse(localStorage.getItem(GUIDE_KEY) || '{"active": false, "done": {}}');
  const saveGuide = (state) => localStorage.setItem(GUIDE_KEY, JSON.stringify(state));

  function startGuide() {
    saveGuide({ active: true, done: {} });
    drawGuide();
  }

  function tick(step) {
    const state = guideState();
    if (!state.active || state.done[step]) return;
    state.done[step] = true;
    saveGuide(state);
    drawGuide();
  }

  function drawGuide() {
    document.getElementById("guide")?.remove();
    const state = guideState();
    if (!guide || !state.active) return;
    const box = document.createElement("aside");
    box.id = "guide";
    box.className = "guide";
    box.setAttribute("aria-label", guide.title);
    const head = document.createElement("div");
    head.className = "guide-head";
    const count = guide.steps.filter((step) => state.done[step.id]).length;
    const title = document.createElement("strong");
    title.textContent = `${guide.title} · ${count}/${guide.steps.length}`;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "flash-close";
    close.id = "guide-close";
    close.setAttribute("aria-label", guide.close);
    close.textContent = "✕";
    close.addEventListener("click", () => { saveGuide({ ...guideState(), active: false }); drawGuide(); });
    head.append(title, close);
    const list = document.createElement("ol");
    let next = null;
    for (const step of guide.steps) {
      const item = document.createElement("li");
      item.dataset.step = step.id;
      const done = Boolean(state.done[step.id]);
      if (done) item.className = "done";
      else if (!next) { next = step; item.className = "next"; }
      const link = document.createElement("a");
      link.href = step.href;
      link.textContent = step.text;
      item.append(link);
      list.append(item);
    }
    box.append(head, list);
    if (!next) {
      const all = document.createElement("p");
      all.className = "guide-done";
      all.textContent = guide.done;
      box.append(all);
    }
    document.body.append(box);
  }

  if (guide) {
    const path = location.pathname;
    if (path === `/scripts/${guide.script}`) tick("open");
    if (path === "/explore/metrics") tick("metrics");
    if (path === "/logs") tick("logs");
    if (path === "/crontab" && document.querySelector(`tr[data-func="${CSS.escape(guide.func)}"]`)) {
      tick("cron");
    }
    window.addEventListener("funcpad:ran", (event) => {
      if (event.detail.scriptId === guide.script && event.detail.status === "success") tick("run");
    });
    window.addEventListener("funcpad:opened", (event) => {
      if (event.detail.scriptId === guide.script) tick("open");
    });
    window.addEventListener("funcpad:published", (event) => {
      if (event.detail.scriptId === guide.script) tick("publish");
    });
    drawGuide();
  }

  const pending = sessionStorage.getItem("funcpad.next-message");
  if (pending) {
    sessionStorage.removeItem("funcpad.next-message");
    const { message, kind } = JSON.parse(pending);
    notify(message, kind);
  }

  document.querySelectorAll(".flash").forEach((flash) => {
    dismissible(flash, flash.classList.contains("flash-error") ? 0 : 6000);
  });
})();
