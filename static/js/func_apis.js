// Sync/Async API pages: delete from the list; the form (function, fixed kwargs, auth,
// throttling, expiry) saved through /api/v1/<kind>-apis with errors shown by field.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const { confirm, notify, notifyNext, parseJsonObject, fieldError } = window.Funcpad;

  async function call(method, path, body) {
    const response = await fetch(`/api/v1${path}`, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const result = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(result.message || `HTTP ${response.status}`), { body: result });
    return result;
  }

  const listData = $("api-list-data");
  if (listData) {
    const data = JSON.parse(listData.textContent);
    const t = (key, params = {}) => data.messages[key].replace(/%\((\w+)\)s/g, (_, k) => params[k]);
    document.addEventListener("click", async (event) => {
      const button = event.target.closest(".api-delete");
      if (!button) return;
      const row = button.closest("tr");
      const id = row.dataset.id;
      if (!(await confirm(t("confirmDelete", { id }), { danger: true, confirmLabel: t("delete") }))) return;
      try {
        await call("DELETE", `/${data.kind}-apis/${encodeURIComponent(id)}`);
        row.remove();
        notify(t("deleted", { id }), "success");
      } catch (error) { notify(error.message, "error"); }
    });
  }

  const formData = $("api-form-data");
  if (!formData) return;
  const data = JSON.parse(formData.textContent);
  const t = (key, params = {}) => data.messages[key].replace(/%\((\w+)\)s/g, (_, k) => params[k]);
  const api = data.api;
  const funcById = Object.fromEntries(data.funcs.map((f) => [f.id, f]));

  function defaultKwargs() {
    const func = funcById[$("api-func").value];
    const kwargs = {};
    for (const arg of (func ? func.args : [])) kwargs[arg.name] = "INPUT_BY_CALLER";
    $("api-kwargs").value = JSON.stringify(kwargs, null, 2);
  }

  function showAuth() {
    const type = $("api-auth-type").value;
    document.querySelectorAll("[data-auth]").forEach((el) => {
      el.hidden = !el.dataset.auth.split(" ").includes(type);
    });
  }

  if (api) {
    $("api-func").value = api.func_id;
    $("api-kwargs").value = JSON.stringify(api.kwargs, null, 2);
    $("api-auth-type").value = api.auth.type;
    if (api.auth.fields) {
      $("auth-field-location").value = api.auth.fields[0].location;
      $("auth-field-name").value = api.auth.fields[0].name;
      $("auth-field-value").placeholder = "*****";
    }
    if (api.auth.users) {
      $("auth-username").value = api.auth.users[0].username;
      $("auth-password").placeholder = "*****";
    }
    if (api.auth.func_id) $("auth-func").value = api.auth.func_id;
    document.querySelectorAll(".throttle").forEach((input) => {
      input.value = api.throttling[input.dataset.rule] || "";
    });
    $("api-tags").value = api.tags.join(", ");
    $("api-expires").value = api.expires_at ? api.expires_at.slice(0, 16) : "";
    $("api-note").value = api.note;
    $("api-disabled").checked = api.disabled;
    $("api-show-in-docs").checked = api.show_in_docs;
  } else {
    defaultKwargs();
  }
  showAuth();
  $("api-func").addEventListener("change", () => { if (!api) defaultKwargs(); });
  $("api-auth-type").addEventListener("change", showAuth);

  function authBody() {
    const type = $("api-auth-type").value;
    if (type === "fixedField") {
      return { type, fields: [{ location: $("auth-field-location").value, name: $("auth-field-name").value.trim(),
        value: $("auth-field-value").value || (api ? "*****" : "") }] };
    }
    if (type === "httpBasic" || type === "httpDigest") {
      return { type, users: [{ username: $("auth-username").value.trim(),
        password: $("auth-password").value || (api ? "*****" : "") }] };
    }
    if (type === "func") return { type, func_id: $("auth-func").value };
    return { type: "none" };
  }

  const boxes = { kwargs: "api-kwargs", id: "api-id", auth: "api-auth-type", throttling: null };
  function clearErrors() {
    $("form-error").hidden = true;
    for (const [name, input] of Object.entries(boxes)) {
      const box = $(`api-${name}-error`);
      if (box) fieldError(input ? $(input) || document.body : document.body, box, "");
    }
  }

  $("api-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    let kwargs;
    try {
      kwargs = parseJsonObject($("api-kwargs").value || "{}");
    } catch (error) {
      fieldError($("api-kwargs"), $("api-kwargs-error"), error.message);
      return;
    }
    const throttling = {};
    document.querySelectorAll(".throttle").forEach((input) => {
      if (input.value !== "") throttling[input.dataset.rule] = Number(input.value);
    });
    const body = {
      func_id: $("api-func").value,
      kwargs,
      auth: authBody(),
      tags: $("api-tags").value.split(",").map((s) => s.trim()).filter(Boolean),
      expires_at: $("api-expires").value ? `${$("api-expires").value}Z` : "",
      note: $("api-note").value,
      disabled: $("api-disabled").checked,
      show_in_docs: $("api-show-in-docs").checked,
    };
    if (data.kind === "sync") body.throttling = throttling;
    if (!api && $("api-id").value.trim()) body.id = $("api-id").value.trim();
    try {
      const saved = api
        ? await call("PATCH", `/${data.kind}-apis/${encodeURIComponent(api.id)}`, body)
        : await call("POST", `/${data.kind}-apis`, body);
      notifyNext(t("saved", { id: saved.id }));
      window.location.href = `/apis/${data.kind}`;
    } catch (error) {
      const field = (error.body && error.body.field) || "";
      const top = field.split(/[.[]/)[0];
      const box = $(`api-${top}-error`);
      if (box) {
        const input = boxes[top] ? $(boxes[top]) : null;
        fieldError(input || box, box, error.message);
      } else {
        $("form-error").textContent = error.message;
        $("form-error").hidden = false;
      }
    }
  });
})();
