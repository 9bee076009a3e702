// Shared by the Metrics and Logs explorers: API calls, time ranges, small DOM helpers.
const boot = JSON.parse(document.getElementById("funcpad-boot").textContent);
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

export function t(key, params = {}) {
  const template = boot.messages[key] ?? key;
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}

export async function getJSON(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) value.forEach((v) => query.append(key, v));
    else if (value !== undefined && value !== null && value !== "") query.append(key, value);
  }
  const response = await fetch(`/api/v1${path}?${query}`, {
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken }, credentials: "same-origin",
  });
  if (response.status === 401) {
    window.location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
  }
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
  return body;
}

export const RANGES = [
  ["15m", 15 * 60], ["1h", 3600], ["6h", 6 * 3600], ["24h", 86400], ["7d", 7 * 86400],
];

/** `{from, to}` API parameters for a range key or a custom pair of datetime-local values. */
export function rangeParams(range, customFrom, customTo) {
  if (range === "custom") {
    return {
      from: customFrom ? new Date(customFrom).toISOString() : undefined,
      to: customTo ? new Date(customTo).toISOString() : undefined,
    };
  }
  return { from: `-${range}` };
}

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function formatTime(iso) {
  const d = new Date(iso);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Range buttons + custom inputs + auto-refresh checkbox wired to `onChange()`. */
export function timeControls(root, state, onChange) {
  const buttons = root.querySelector("[data-ranges]");
  for (const [key] of RANGES) {
    buttons.append(h("button", {
      type: "button", class: `seg${state.range === key ? " active" : ""}`, "data-range": key,
      onclick: () => { state.range = key; sync(); onChange(); },
    }, t(`range_${key}`)));
  }
  buttons.append(h("button", {
    type: "button", class: "seg", "data-range": "custom",
    onclick: () => { state.range = "custom"; sync(); },
  }, t("range_custom")));
  const custom = root.querySelector("[data-custom]");
  custom.querySelectorAll("input").forEach((input) => input.addEventListener("change", () => {
    state.customFrom = custom.querySelector("[name=from]").value;
    state.customTo = custom.querySelector("[name=to]").value;
    onChange();
  }));
  function sync() {
    buttons.querySelectorAll(".seg").forEach((b) => b.classList.toggle("active", b.dataset.range === state.range));
    custom.hidden = state.range !== "custom";
  }
  sync();
  let timer = null;
  root.querySelector("[data-auto-refresh]").addEventListener("change", (event) => {
    clearInterval(timer);
    if (event.target.checked) timer = setInterval(onChange, 10_000);
  });
}

// 24-hour times and ISO dates, as in the table below (uPlot's default is 12-hour am/pm).
// Columns: smallest tick step (s), tick label, then what to add when the year, month, day,
// hour, minute or second rolls over, and 1 = append that to the label.
export const TIME_TICKS = [
  [3600 * 24 * 365, "{YYYY}", null, null, null, null, null, null, 1],
  [3600 * 24 * 28, "{YYYY}-{MM}", null, null, null, null, null, null, 1],
  [3600 * 24, "{MM}-{DD}", "\n{YYYY}", null, null, null, null, null, 1],
  [3600, "{HH}:{mm}", "\n{YYYY}-{MM}-{DD}", null, "\n{MM}-{DD}", null, null, null, 1],
  [60, "{HH}:{mm}", "\n{YYYY}-{MM}-{DD}", null, "\n{MM}-{DD}", null, null, null, 1],
  [1, ":{ss}", "\n{YYYY}-{MM}-{DD} {HH}:{mm}", null, "\n{MM}-{DD} {HH}:{mm}", null,
    "\n{HH}:{mm}", null, 1],
];
