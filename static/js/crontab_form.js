// Cron job form: function picker with kwargs from the signature, simple mode that writes the
// expression, live preview (description + next 5 runs) and save with errors by field.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("crontab-form-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const msg = (key, params = {}) => data.messages[key].replace(/%\((\w+)\)s/g, (_, k) => params[k]);
  const funcById = Object.fromEntries(data.funcs.map((f) => [f.id, f]));

  async function call(method, path, body) {
    const response = await fetch(`/api/v1${path}`, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(result.message || `HTTP ${response.status}`), { body: result });
    return result;
  }

  function fillKwargs() {
    const func = funcById[$("job-func").value];
    if (!func) return;
    const kwargs = {};
    for (const arg of func.args) kwargs[arg.name] = arg.has_default ? arg.default : null;
    $("job-kwargs").value = JSON.stringify(kwargs, null, 2);
    $("kwargs-help").textContent = func.args.filter((a) => !a.has_default).map((a) => `${a.name}: ${msg("required")}`).join(", ");
    const fixed = func.options && func.options.fixed_crontab;
    $("fixed-note").hidden = !fixed;
    $("job-crontab").readOnly = Boolean(fixed);
    if (fixed) {
      $("fixed-note").textContent = msg("fixed", { crontab: fixed });
      $("job-crontab").value = fixed;
      preview();
    }
  }

  function simpleExpression() {
    const kind = $("simple-kind").value;
    const [hour, minute] = ($("simple-time").value || "09:00").split(":").map(Number);
    if (kind === "minutes") return `*/${$("simple-every").value} * * * *`;
    if (kind === "hourly") return `${Number($("simple-minute").value) || 0} * * * *`;
    if (kind === "daily") return `${minute} ${hour} * * *`;
    if (kind === "weekly") {
      const days = [...document.querySelectorAll(".simple-weekday:checked")].map((b) => b.value);
      return `${minute} ${hour} * * ${days.length ? days.join(",") : "*"}`;
    }
    if (kind === "monthly") return `${minute} ${hour} ${Number($("simple-day").value) || 1} * *`;
    const pick = (id) => {
      const values = [...$(id).selectedOptions].map((o) => o.value);
      return values.length ? values.join(",") : "*";
    };
    return ["pick-minutes", "pick-hours", "pick-days", "pick-months", "pick-weekdays"].map(pick).join(" ");
  }

  function syncSimple() {
    const kind = $("simple-kind").value;
    document.querySelectorAll("#simple-mode [data-kinds]").forEach((el) => {
      el.hidden = !el.dataset.kinds.split(" ").includes(kind);
    });
    if (!$("job-crontab").readOnly) {
      $("job-crontab").value = simpleExpression();
      preview();
    }
  }

  let timer = null;
  function preview() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const box = $("preview");
      try {
        const result = await call("POST", "/crontab/preview",
          { crontab: $("job-crontab").value, timezone: $("job-timezone").value });
        box.className = "preview preview-ok";
        box.replaceChildren();
        const title = document.createElement("strong");
        title.textContent = result.description;
        const list = document.createElement("ol");
        // Shown on the wall clock of the chosen timezone, as the job will see it, with the
        // weekday in the page's language.
        for (const run of result.next_runs) {
          const item = document.createElement("li");
          item.textContent =
            `${window.Funcpad.format.zonedTime(run, result.timezone)} (${result.timezone})`;
          list.append(item);
        }
        const label = document.createElement("div");
        label.className = "muted small";
        label.textContent = msg("nextRuns");
        box.append(title, label, list);
      } catch (error) {
        box.className = "preview preview-error";
        box.textContent = error.message;
      }
    }, 200);
  }

  document.querySelectorAll("[data-schedule-mode]").forEach((button) => button.addEventListener("click", () => {
    document.querySelectorAll("[data-schedule-mode]").forEach((b) => b.classList.toggle("active", b === button));
    $("simple-mode").hidden = button.dataset.scheduleMode !== "simple";
    if (button.dataset.scheduleMode === "simple") syncSimple();
  }));
  document.querySelectorAll("#simple-mode select, #simple-mode input").forEach((el) => el.addEventListener("change", syncSimple));
  $("job-crontab").addEventListener("input", preview);
  $("job-timezone").addEventListener("change", preview);
  $("job-timezone").addEventListener("input", preview);
  // The browser's own zone first in the list: the one a user most likely means.
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zoneList = $("timezone-list");
  if (browserZone && zoneList) {
    const own = zoneList.querySelector(`option[value="${CSS.escape(browserZone)}"]`);
    const first = own || Object.assign(document.createElement("option"), { value: browserZone });
    zoneList.prepend(first);
  }
  $("job-func").addEventListener("change", fillKwargs);

  // Where a field's error is shown: next to the field it names (the API's `field`).
  const FIELD_INPUTS = {
    kwargs: "job-kwargs", func_id: "job-func", crontab: "job-crontab", timezone: "job-timezone",
    tags: "job-tags", expires_at: "job-expires", keep_records: "job-keep", note: "job-note",
  };
  function clearErrors() {
    $("form-error").hidden = true;
    document.querySelectorAll("#job-form [aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    document.querySelectorAll("#job-form .field-error").forEach((el) => {
      if (el.dataset.generated) el.remove();
      else el.textContent = "";
    });
  }
  function showFieldError(field, message) {
    const input = $(FIELD_INPUTS[(field || "").split(/[.[]/)[0]] || "");
    if (!input) {
      $("form-error").hidden = false;
      $("form-error").textContent = message;
      return;
    }
    let box = document.getElementById(`${input.id}-error`);
    if (!box) {
      box = Object.assign(document.createElement("small"), { id: `${input.id}-error`, className: "field-error" });
      box.dataset.generated = "1";
      box.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", box);
    }
    window.Funcpad.fieldError(input, box, message);
    input.focus();
  }

  $("job-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    let kwargs;
    try {
      kwargs = window.Funcpad.parseJsonObject($("job-kwargs").value.trim() || "{}");
    } catch (error) {
      showFieldError("kwargs", error.message);
      if (error.position !== undefined) {
        $("job-kwargs").setSelectionRange(error.position, error.position + 1);
      }
      return;
    }
    const expires = $("job-expires").value;
    const body = {
      func_id: $("job-func").value, kwargs, crontab: $("job-crontab").value,
      timezone: $("job-timezone").value, enabled: $("job-enabled").checked,
      allow_overlap: $("job-overlap").checked, note: $("job-note").value,
      tags: $("job-tags").value.split(",").map((s) => s.trim()).filter(Boolean),
      keep_records: Number($("job-keep").value) || 500,
      expires_at: expires ? new Date(expires).toISOString() : null,
    };
    try {
      const saved = data.job
        ? await call("PATCH", `/crontab-configs/${data.job.id}`, body)
        : await call("POST", "/crontab-configs", body);
      window.Funcpad.notifyNext(msg("saved", { id: saved.id }), "success");
      window.location.href = "/crontab";
    } catch (error) {
      showFieldError(error.body && error.body.field, error.message);
    }
  });

  if (data.job) {
    $("job-func").value = data.job.func_id;
    $("job-kwargs").value = JSON.stringify(data.job.kwargs, null, 2);
    document.querySelector('[data-schedule-mode="expression"]').click();
    const fixed = funcById[data.job.func_id]?.options?.fixed_crontab;
    $("job-crontab").readOnly = Boolean(fixed);
    preview();
  } else {
    // ?func=<id> (the guided first run's link) picks the function.
    const wanted = new URLSearchParams(location.search).get("func");
    if (wanted && funcById[wanted]) $("job-func").value = wanted;
    fillKwargs();
    syncSimple();
  }
})();
