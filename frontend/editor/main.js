// The editor page: script list, CodeMirror editor, save with conflict handling, publish,
// history with diffs, restore, settings and delete.
import { api, ApiError } from "./api.js";
import { assistExtensions, markErrorLine } from "./assist.js";
import { createEditor, followTheme } from "./codeeditor.js";
import { diffPanel } from "./diffview.js";
import { h, modal, relativeTime, toast } from "./dom.js";
import { bootData, t } from "./i18n.js";
import { kwargsTemplate, RunPanel } from "./runpanel.js";

const NEW_SCRIPT_TEMPLATE = `import time


@DFF.API('Hello')
def hello(name='world'):
    """Say hello; the return value is shown under the run log."""
    print('Hello,', name)
    return {'greeting': f'Hello, {name}!', 'at': time.time()}
`;

const $ = (id) => document.getElementById(id);

const state = {
  scripts: [],
  script: null, // the loaded script as the API returned it
  baseMd5: null, // md5 of the draft the editor text is based on
  savedCode: "", // the draft text as last saved or loaded
  saving: false,
  historyOpen: localStorage.getItem("funcpad.historyOpen") === "1",
  revisions: [],
  funcs: [], // runnable top-level functions of the editor text
};

const editor = createEditor($("editor"), {
  doc: "",
  onChange: () => renderStatus(),
  onSave: () => save(),
  onRun: () => runSelected(),
  onCursor: (line, col) => { $("status-cursor").textContent = t("lineCol", { line, col }); },
  extra: assistExtensions({ onOutline: (funcs) => updatePicker(funcs) }),
});
followTheme();

const isDirty = () => state.script !== null && editor.getDoc() !== state.savedCode;

// --- sidebar -----------------------------------------------------------------------------

async function loadList() {
  [state.scripts, state.sets] = await Promise.all([api("GET", "/scripts"), api("GET", "/script-sets")]);
  renderList();
}

// Folders the user collapsed stay collapsed (per browser).
const COLLAPSED_KEY = "funcpad.collapsed-sets";
const collapsedSets = new Set(JSON.parse(localStorage.getItem(COLLAPSED_KEY) || "[]"));

function toggleSet(setId) {
  if (collapsedSets.has(setId)) collapsedSets.delete(setId);
  else collapsedSets.add(setId);
  localStorage.setItem(COLLAPSED_KEY, JSON.stringify([...collapsedSets]));
  renderList();
}

function scriptItem(script) {
  const active = state.script?.id === script.id;
  const unpublished = script.has_unpublished_changes;
  return h("li", {},
    h(`a.script-item${active ? ".active" : ""}`, {
      href: `/scripts/${script.id}`,
      "data-id": script.id,
      onclick: (event) => { event.preventDefault(); openScript(script.id, true); },
    },
    // Titles and ids are the users' data: shown as they are, in any language.
    h("span.script-item-main.data", { translate: "no" },
      h("span.script-item-title", {}, script.title),
      h("span.script-item-id", {}, script.id)),
    h("span.script-item-meta", {},
      script.published_version
        ? h("span.badge.badge-version", {}, `v${script.published_version}`)
        : null,
      unpublished
        ? h("span.unpublished-dot", { title: t("unpublishedMarker"), "aria-label": t("unpublishedMarker") })
        : null)));
}

function renderList() {
  const filter = $("script-filter").value.trim().toLowerCase();
  const list = $("script-list");
  list.replaceChildren();
  const shown = state.scripts.filter((s) =>
    !filter || s.id.toLowerCase().includes(filter) || s.title.toLowerCase().includes(filter));
  const sets = state.sets || [];
  const known = new Set(sets.map((s) => s.id));
  const extra = [...new Set(shown.map((s) => s.set_id))].filter((id) => !known.has(id))
    .map((id) => ({ id, title: id }));
  for (const set of [...sets, ...extra]) {
    const scripts = shown.filter((s) => s.set_id === set.id);
    if (filter && !scripts.length) continue;
    const collapsed = collapsedSets.has(set.id) && !filter;
    const folder = h(`li.script-set${collapsed ? ".collapsed" : ""}`, { "data-set": set.id });
    folder.append(h("div.script-set-head", {},
      h("button.script-set-toggle", {
        type: "button", "aria-expanded": String(!collapsed), onclick: () => toggleSet(set.id),
      }, h("span.script-set-caret", { "aria-hidden": "true" }, collapsed ? "▸" : "▾"),
      h("span.script-set-title.data", { translate: "no" }, set.title),
      h("span.script-set-count", {}, String(scripts.length))),
      h("button.icon-button.script-set-add", {
        type: "button", title: t("newScriptInSet"), "aria-label": t("newScriptInSet"),
        onclick: () => newScript(set.id),
      }, "+"),
      h("button.icon-button.script-set-menu", {
        type: "button", title: t("setSettings"), "aria-label": t("setSettings"),
        onclick: () => setSettings(set),
      }, "⋯")));
    if (!collapsed) {
      const inner = h("ul.script-set-scripts");
      for (const script of scripts) inner.append(scriptItem(script));
      if (!scripts.length) inner.append(h("li.empty", {}, t("emptySet")));
      folder.append(inner);
    }
    list.append(folder);
  }
  if (!shown.length && !sets.length) list.append(h("li.empty", {}, t("noScripts")));
}

$("script-filter").addEventListener("input", renderList);

// --- loading a script ----------------------------------------------------------------------

async function openScript(id, pushHistory) {
  if (state.script?.id === id) return;
  if (isDirty() && !(await window.Funcpad.confirm(t("leaveWarning"), { danger: true }))) return;
  let script;
  try {
    script = await api("GET", `/scripts/${id}`);
  } catch (error) {
    toast(t("loadFailed", { msg: error.message }), "error");
    return;
  }
  showScript(script);
  if (pushHistory) history.pushState({ id }, "", `/scripts/${id}`);
}

function showScript(script) {
  state.script = script;
  state.baseMd5 = script.draft_md5;
  state.savedCode = script.draft_code;
  editor.setDoc(script.draft_code);
  $("welcome").hidden = true;
  $("script-view").hidden = false;
  $("script-title").textContent = script.title;
  $("script-id-label").textContent = script.id;
  document.title = `${script.id} · Funcpad`;
  renderStatus();
  renderList();
  $("status-cursor").textContent = t("lineCol", { line: 1, col: 1 });
  window.dispatchEvent(new CustomEvent("funcpad:opened", { detail: { scriptId: script.id } }));
  state.funcs = [];
  updatePicker([]);
  runPanel.clear();
  api("POST", "/code/check", { code: script.draft_code })
    .then((result) => updatePicker(result.funcs || []))
    .catch(() => {});
  if (state.historyOpen) loadHistory();
}

function showWelcome() {
  state.script = null;
  $("welcome").hidden = false;
  $("script-view").hidden = true;
  document.title = "Funcpad";
  renderList();
}

window.addEventListener("popstate", () => {
  const match = location.pathname.match(/^\/scripts\/([A-Za-z0-9_]+)$/);
  if (match) openScript(match[1], false);
  else if (!isDirty()) showWelcome();
  else window.Funcpad.confirm(t("leaveWarning"), { danger: true }).then((ok) => ok && showWelcome());
});

window.addEventListener("beforeunload", (event) => {
  if (isDirty()) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// --- status line -----------------------------------------------------------------------------

function renderStatus() {
  if (!state.script) return;
  const dirty = isDirty();
  const saveStatus = $("status-save");
  saveStatus.textContent = state.saving ? t("saving") : dirty ? t("unsaved") : t("saved");
  saveStatus.className = `status-item ${dirty ? "status-warn" : "status-ok"}`;
  $("btn-save").disabled = !dirty || state.saving;

  const s = state.script;
  const publishStatus = $("status-publish");
  if (!s.published_version) {
    publishStatus.textContent = t("neverPublished");
    publishStatus.className = "status-item status-muted";
  } else if (s.published_md5 !== state.baseMd5 || dirty) {
    publishStatus.textContent = `${t("publishedV", { n: s.published_version })} · ${t("draftDiffers")}`;
    publishStatus.className = "status-item status-info";
  } else {
    publishStatus.textContent = `${t("publishedV", { n: s.published_version })} · ${t("draftMatches")}`;
    publishStatus.className = "status-item status-ok";
  }
}

// --- saving ----------------------------------------------------------------------------------

/** Save the editor text as the draft. Resolves true when the draft now equals the editor. */
async function save() {
  if (!state.script) return false;
  if (!isDirty()) return true;
  if (state.saving) return false;
  const code = editor.getDoc();
  state.saving = true;
  renderStatus();
  try {
    const result = await api("PUT", `/scripts/${state.script.id}/draft`, {
      code, base_md5: state.baseMd5,
    });
    state.baseMd5 = result.draft_md5;
    state.savedCode = code;
    updateListEntry({ draft_md5: result.draft_md5 });
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.body.error === "draft_conflict") {
      return await resolveConflict(error.body, code);
    }
    toast(error.message, "error");
    return false;
  } finally {
    state.saving = false;
    renderStatus();
  }
}

async function resolveConflict(conflict, mine) {
  const diffHost = h("div.conflict-diff");
  const body = h("div", {},
    h("p", {}, t("conflictBody", {
      who: conflict.updated_by || "?", when: relativeTime(conflict.updated_at),
    })),
    h("button.btn.btn-small", {
      type: "button",
      id: "conflict-show-diff",
      onclick: (event) => {
        event.target.remove();
        diffHost.append(diffPanel(
          { label: t("theirs"), code: conflict.current_code },
          { label: t("mine"), code: mine },
        ));
      },
    }, t("showDiff")),
    diffHost);
  const choice = await modal({
    title: t("conflictTitle"),
    body,
    wide: true,
    id: "conflict-dialog",
    buttons: [
      { label: t("reloadTheirs"), value: "theirs" },
      { label: t("keepMine"), value: "mine", kind: "primary" },
    ],
  });
  if (choice === "theirs") {
    state.baseMd5 = conflict.current_md5;
    state.savedCode = conflict.current_code;
    editor.setDoc(conflict.current_code);
    updateListEntry({ draft_md5: conflict.current_md5 });
    renderStatus();
    return true;
  }
  if (choice === "mine") {
    state.baseMd5 = conflict.current_md5;
    state.saving = false;
    return save();
  }
  return false;
}

function updateListEntry(changes) {
  Object.assign(state.script, changes);
  const entry = state.scripts.find((s) => s.id === state.script.id);
  if (entry) {
    Object.assign(entry, changes);
    entry.has_unpublished_changes = entry.draft_md5 !== state.script.published_md5;
  }
  renderList();
}

$("btn-save").addEventListener("click", () => save());

// --- publish ---------------------------------------------------------------------------------

async function publish() {
  if (!(await save())) return;
  const s = state.script;
  const nextVersion = (s.published_version || 0) + 1;
  const comparison = await api("GET", `/scripts/${s.id}/diff?from=published&to=draft`);
  const panel = diffPanel(
    { label: comparison.from, code: comparison.from_code },
    { label: `${t("draft")} → v${nextVersion}`, code: comparison.to_code },
  );
  const note = h("textarea#publish-note", { rows: 2, maxlength: 2000, placeholder: t("publishNotePlaceholder") });
  const errorBox = h("div.alert.alert-error#publish-error", { hidden: true });
  const intro = comparison.from_code === comparison.to_code && s.published_version
    ? t("publishNothing", { n: s.published_version })
    : t("publishIntro", { n: nextVersion });
  // The error goes at the top, where the eye is after clicking Publish, not under the diff.
  const body = h("div.stack", {}, errorBox, h("p", {}, intro), panel,
    h("label", {}, t("publishNote"), note));

  let published = null;
  await modal({
    title: t("publishTitle", { id: s.id }),
    body,
    wide: true,
    id: "publish-dialog",
    onOpen: () => note.focus(),
    buttons: [
      { label: t("cancel"), value: null },
      {
        label: t("publish"),
        value: "publish",
        kind: "primary",
        validate: async (dialog) => {
          const button = dialog.querySelector('[data-value="publish"]');
          button.disabled = true;
          button.textContent = t("publishing");
          try {
            published = await api("POST", `/scripts/${s.id}/publish`, { note: note.value });
            return true;
          } catch (error) {
            errorBox.hidden = false;
            const line = error.body?.line;
            errorBox.replaceChildren(error.body?.error === "syntax_error" && error.body.detail
              ? t("syntaxErrorAt", { line, col: error.body.column ?? "?", msg: error.body.detail })
              : error.message);
            if (line) {
              // Mark the line behind the dialog, and offer to close it and go there.
              editor.goTo(line, error.body.column || 1);
              errorBox.append(" ", h("button.btn.btn-small#publish-error-jump", {
                type: "button",
                onclick: () => {
                  dialog.querySelector(".modal-head .icon-button").click();
                  editor.goTo(line, error.body.column || 1);
                },
              }, t("goToLine", { line })));
            }
            errorBox.scrollIntoView({ block: "nearest" });
            button.disabled = false;
            button.textContent = t("publish");
            return false;
          }
        },
      },
    ],
  });
  panel.destroy();
  if (!published) return;
  toast(t("publishedOk", { n: published.version }), "success");
  window.dispatchEvent(new CustomEvent("funcpad:published", { detail: { scriptId: s.id } }));
  const fresh = await api("GET", `/scripts/${s.id}`);
  Object.assign(state.script, fresh);
  updateListEntry({ published_version: fresh.published_version, published_md5: fresh.published_md5 });
  renderStatus();
  if (state.historyOpen) loadHistory();
}

$("btn-publish").addEventListener("click", () => publish());

// --- diffs and history -------------------------------------------------------------------------

async function showDiff(from, to) {
  const s = state.script;
  if ((from === "draft" || to === "draft") && !(await save())) return;
  let comparison;
  try {
    comparison = await api("GET", `/scripts/${s.id}/diff?from=${from}&to=${to}`);
  } catch (error) {
    toast(error.message, "error");
    return;
  }
  const panel = diffPanel(
    { label: comparison.from, code: comparison.from_code },
    { label: comparison.to, code: comparison.to_code },
  );
  await modal({
    title: t("diffTitle", { from: comparison.from, to: comparison.to }),
    body: panel,
    wide: true,
    id: "diff-dialog",
    buttons: [{ label: t("close"), value: null }],
  });
  panel.destroy();
}

$("btn-diff").addEventListener("click", () => showDiff("published", "draft"));

function setHistoryOpen(open) {
  state.historyOpen = open;
  localStorage.setItem("funcpad.historyOpen", open ? "1" : "0");
  $("history-panel").hidden = !open;
  $("btn-history").setAttribute("aria-pressed", String(open));
  if (open) loadHistory();
}

async function loadHistory() {
  const s = state.script;
  if (!s) return;
  state.revisions = await api("GET", `/scripts/${s.id}/revisions`);
  const list = $("revision-list");
  list.replaceChildren();
  for (const revision of state.revisions) {
    const previous = revision.version > 1 ? revision.version - 1 : null;
    list.append(h("li.revision", { "data-version": revision.version },
      h("div.revision-head", {},
        h("span.badge.badge-version", {}, `v${revision.version}`),
        h("span.revision-meta", {},
          `${relativeTime(revision.published_at)} · ${t("by", { who: revision.published_by || "?" })}`)),
      revision.note ? h("div.revision-note", {}, revision.note) : null,
      h("div.revision-actions", {},
        h("button.btn.btn-small", {
          type: "button", "data-action": "diff-draft",
          onclick: () => showDiff(revision.version, "draft"),
        }, t("diffVsDraft")),
        h("button.btn.btn-small", {
          type: "button", "data-action": "view",
          onclick: () => previous ? showDiff(previous, revision.version) : viewRevision(revision.version),
        }, t("view")),
        h("button.btn.btn-small", {
          type: "button", "data-action": "restore",
          onclick: () => restore(revision.version),
        }, t("restore")))));
  }
  if (!state.revisions.length) list.append(h("li.empty", {}, t("noRevisions")));

  const options = [["draft", t("draft")], ...state.revisions.map((r) => [String(r.version), `v${r.version}`])];
  for (const [select, preferred] of [
    [$("compare-from"), state.revisions[0] ? String(state.revisions[0].version) : "draft"],
    [$("compare-to"), "draft"],
  ]) {
    const keep = select.value;
    select.replaceChildren(...options.map(([value, label]) => h("option", { value }, label)));
    select.value = options.some(([value]) => value === keep) ? keep : preferred;
  }
}

async function viewRevision(version) {
  const revision = await api("GET", `/scripts/${state.script.id}/revisions/${version}`);
  const panel = diffPanel({ label: "∅", code: "" }, { label: `v${version}`, code: revision.code });
  await modal({ title: `v${version}`, body: panel, wide: true, buttons: [{ label: t("close"), value: null }] });
  panel.destroy();
}

async function restore(version) {
  if (!(await window.Funcpad.confirm(t("restoreConfirm", { n: version })))) return;
  try {
    // Restoring replaces the draft on the server; base it on the saved draft, not on unsaved edits.
    const result = await api("POST", `/scripts/${state.script.id}/revisions/${version}/restore`, {
      base_md5: state.baseMd5,
    });
    state.baseMd5 = result.draft_md5;
    state.savedCode = result.draft_code;
    editor.setDoc(result.draft_code);
    updateListEntry({ draft_md5: result.draft_md5 });
    renderStatus();
    toast(t("restoredOk", { n: version }), "success");
  } catch (error) {
    if (error instanceof ApiError && error.body.error === "draft_conflict") {
      await resolveConflict(error.body, editor.getDoc());
    } else {
      toast(error.message, "error");
    }
  }
}

$("btn-history").addEventListener("click", () => setHistoryOpen(!state.historyOpen));
$("history-close").addEventListener("click", () => setHistoryOpen(false));
$("compare-go").addEventListener("click", () => showDiff($("compare-from").value, $("compare-to").value));

// --- new script, settings, delete --------------------------------------------------------------

function field(label, input, help) {
  return h("label", {}, label, input, help ? h("small.muted", {}, help) : null);
}

async function newScript(inSet) {
  // No maxlength: a longer id is refused with the server's message, never silently cut.
  const idInput = h("input#new-script-id", { required: true, pattern: "[A-Za-z_][A-Za-z0-9_]*", autocomplete: "off", spellcheck: "false" });
  // Picking a set writes its prefix: a script's id is <set>__<name>, as in DataFlux Func.
  const setSelect = h("select#new-script-set", {},
    h("option", { value: "" }, t("noSet")),
    ...(state.sets || []).filter((s) => s.id !== "default")
      .map((s) => h("option", { value: s.id }, `${s.title} (${s.id})`)));
  const applySet = () => {
    const name = idInput.value.includes("__") ? idInput.value.split("__").slice(1).join("__") : idInput.value;
    idInput.value = setSelect.value ? `${setSelect.value}__${name}` : name;
  };
  setSelect.addEventListener("change", applySet);
  if (typeof inSet === "string" && inSet !== "default") {
    setSelect.value = inSet;
    applySet();
  }
  const titleInput = h("input#new-script-title", { required: true, maxlength: 200 });
  const descInput = h("textarea#new-script-description", { rows: 2 });
  const errorBox = h("div.alert.alert-error", { hidden: true });
  let created = null;
  await modal({
    title: t("newScript"),
    id: "new-script-dialog",
    body: h("div.stack", {},
      field(t("scriptSet"), setSelect),
      field(t("scriptId"), idInput, t("scriptIdHelp")),
      field(t("title"), titleInput),
      field(t("description"), descInput),
      errorBox),
    onOpen: () => idInput.focus(),
    buttons: [
      { label: t("cancel"), value: null },
      {
        label: t("create"), value: "create", kind: "primary",
        validate: async () => {
          try {
            created = await api("POST", "/scripts", {
              id: idInput.value.trim(),
              title: titleInput.value.trim() || idInput.value.trim(),
              description: descInput.value,
              code: NEW_SCRIPT_TEMPLATE,
            });
            return true;
          } catch (error) {
            errorBox.hidden = false;
            errorBox.textContent = error.message;
            return false;
          }
        },
      },
    ],
  });
  if (!created) return;
  await loadList();
  if (isDirty() && !(await window.Funcpad.confirm(t("leaveWarning"), { danger: true }))) return;
  state.savedCode = editor.getDoc(); // the user chose to leave their edits
  showScript(created);
  history.pushState({ id: created.id }, "", `/scripts/${created.id}`);
}

$("btn-new-script").addEventListener("click", () => newScript());
$("btn-new-script-welcome").addEventListener("click", () => newScript());
$("btn-new-set").addEventListener("click", () => newSet());

// --- script sets -------------------------------------------------------------------------------

async function newSet() {
  const idInput = h("input#new-set-id", { required: true, autocomplete: "off", spellcheck: "false" });
  const titleInput = h("input#new-set-title", { maxlength: 200 });
  const errorBox = h("div.alert.alert-error", { hidden: true });
  let created = null;
  await modal({
    title: t("newSet"),
    id: "new-set-dialog",
    body: h("div.stack", {}, field(t("setId"), idInput, t("setIdHelp")), field(t("title"), titleInput), errorBox),
    onOpen: () => idInput.focus(),
    buttons: [
      { label: t("cancel"), value: null },
      {
        label: t("create"), value: "create", kind: "primary",
        validate: async () => {
          try {
            created = await api("POST", "/script-sets", { id: idInput.value.trim(), title: titleInput.value.trim() });
            return true;
          } catch (error) {
            errorBox.hidden = false;
            errorBox.textContent = error.message;
            return false;
          }
        },
      },
    ],
  });
  if (!created) return;
  toast(t("setCreated", { id: created.id }), "success");
  await loadList();
}

async function setSettings(set) {
  const titleInput = h("input#set-title-input", { value: set.title, maxlength: 200 });
  const confirmInput = h("input#set-delete-confirm", { autocomplete: "off", placeholder: set.id });
  const errorBox = h("div.alert.alert-error", { hidden: true });
  const choice = await modal({
    title: t("setSettingsTitle", { id: set.id }),
    id: "set-dialog",
    body: h("div.stack", {},
      field(t("title"), titleInput),
      h("div.danger-zone", {},
        h("p", {}, t("deleteSetWarning", { id: set.id, n: state.scripts.filter((s) => s.set_id === set.id).length })),
        field(t("typeToConfirm", { id: set.id }), confirmInput)),
      errorBox),
    buttons: [
      { label: t("cancel"), value: null },
      { label: t("deleteSet"), value: "delete", kind: "danger", validate: () => confirmInput.value.trim() === set.id },
      { label: t("save"), value: "save", kind: "primary" },
    ],
  });
  try {
    if (choice === "save") {
      await api("PATCH", `/script-sets/${set.id}`, { title: titleInput.value });
      toast(t("setSaved", { id: set.id }), "success");
    } else if (choice === "delete") {
      await api("DELETE", `/script-sets/${set.id}`);
      toast(t("setDeleted", { id: set.id }), "success");
      if (state.script?.set_id === set.id) {
        state.savedCode = editor.getDoc();
        showWelcome();
        history.pushState({}, "", "/scripts");
      }
    }
  } catch (error) {
    toast(error.message, "error");
  }
  await loadList();
}

async function scriptSettings() {
  const s = state.script;
  const titleInput = h("input#settings-title", { value: s.title, maxlength: 200 });
  const descInput = h("textarea#settings-description", { rows: 3 });
  descInput.value = s.description;
  const errorBox = h("div.alert.alert-error", { hidden: true });
  const body = h("div.stack", {},
    field(t("title"), titleInput),
    field(t("description"), descInput),
    errorBox,
    h("div.danger-zone", {},
      h("button.btn.btn-danger", { type: "button", id: "btn-delete-script", onclick: () => deleteScript() },
        t("delete"))));
  await modal({
    title: t("settings"),
    body,
    id: "settings-dialog",
    buttons: [
      { label: t("cancel"), value: null },
      {
        label: t("save"), value: "save", kind: "primary",
        validate: async () => {
          try {
            const updated = await api("PATCH", `/scripts/${s.id}`, {
              title: titleInput.value, description: descInput.value,
            });
            s.title = updated.title;
            s.description = updated.description;
            $("script-title").textContent = updated.title;
            const entry = state.scripts.find((x) => x.id === s.id);
            if (entry) entry.title = updated.title;
            renderList();
            return true;
          } catch (error) {
            errorBox.hidden = false;
            errorBox.textContent = error.message;
            return false;
          }
        },
      },
    ],
  });
}

async function deleteScript() {
  const s = state.script;
  document.getElementById("settings-dialog")?.close();
  document.getElementById("settings-dialog")?.remove();
  const confirmInput = h("input#delete-confirm-input", { autocomplete: "off", placeholder: s.id });
  const choice = await modal({
    title: t("deleteTitle", { id: s.id }),
    id: "delete-dialog",
    body: h("div.stack", {}, h("p", {}, t("deleteBody", { n: s.published_version || 0 })), confirmInput),
    onOpen: () => confirmInput.focus(),
    buttons: [
      { label: t("cancel"), value: null },
      {
        label: t("delete"), value: "delete", kind: "danger",
        validate: () => confirmInput.value.trim() === s.id,
      },
    ],
  });
  if (choice !== "delete") return;
  await api("DELETE", `/scripts/${s.id}`);
  state.savedCode = editor.getDoc();
  toast(t("deleted", { id: s.id }), "success");
  await loadList();
  showWelcome();
  history.pushState({}, "", "/scripts");
}

$("btn-settings").addEventListener("click", scriptSettings);

// --- the example set and the guided first run ---------------------------------------------------

async function startWithExamples() {
  const button = $("btn-examples");
  button.disabled = true;
  try {
    const installed = await api("POST", "/examples");
    window.Funcpad.startGuide();
    await loadList();
    await openScript(installed.open, true);
  } catch (error) {
    toast(error.message, "error");
  }
  button.disabled = false;
}

$("btn-examples").addEventListener("click", startWithExamples);

// --- running ---------------------------------------------------------------------------------

const runPanel = new RunPanel({
  body: $("output-body"),
  status: $("output-status"),
  writesPoints: () => /DFF\.(SRC|CONN)\(/.test(editor.getDoc()),
  onKwargsError: (message) => kwargsError(message),
  onErrorLine: (line, focus = true) => {
    markErrorLine(editor.view, line);
    if (focus) editor.goTo(line);
  },
});

const kwargsKey = (func) => `funcpad.kwargs.${state.script?.id}.${func}`;

/** Refill the picker from the outline: top-level functions not starting with "_". */
function updatePicker(funcs) {
  const picker = $("func-picker");
  const runnable = funcs.filter((f) => !f.name.startsWith("_"));
  const previous = picker.value || localStorage.getItem(`funcpad.func.${state.script?.id}`);
  const sameNames = runnable.map((f) => f.name).join() === (state.funcs || []).map((f) => f.name).join();
  state.funcs = runnable;
  if (sameNames && picker.options.length) return;
  picker.replaceChildren(...runnable.map((f) =>
    h("option", { value: f.name }, f.title ? `${f.name} — ${f.title}` : f.name)));
  if (!runnable.length) picker.append(h("option", { value: "" }, t("noFunctions")));
  if (runnable.some((f) => f.name === previous)) picker.value = previous;
  fillKwargs();
}

function fillKwargs() {
  const name = $("func-picker").value;
  const func = state.funcs.find((f) => f.name === name);
  $("btn-run").disabled = !func;
  if (!func) {
    $("kwargs-input").value = "";
    return;
  }
  const remembered = localStorage.getItem(kwargsKey(name));
  $("kwargs-input").value = remembered ?? JSON.stringify(kwargsTemplate(func));
  kwargsError(null);
}

$("func-picker").addEventListener("change", () => {
  localStorage.setItem(`funcpad.func.${state.script.id}`, $("func-picker").value);
  fillKwargs();
});

function readKwargs() {
  return window.Funcpad.parseJsonObject($("kwargs-input").value.trim() || "{}");
}

function kwargsError(message) {
  window.Funcpad.fieldError($("kwargs-input"), $("kwargs-error"), message);
}

async function runSelected() {
  if (!state.script || runPanel.running) return;
  const func = $("func-picker").value;
  if (!func) return;
  let kwargs;
  try {
    kwargs = readKwargs();
  } catch (error) {
    kwargsError(error.message);
    const input = $("kwargs-input");
    input.focus();
    if (error.position !== undefined) input.setSelectionRange(error.position, error.position + 1);
    return;
  }
  kwargsError(null);
  localStorage.setItem(kwargsKey(func), $("kwargs-input").value.trim() || "{}");
  if (!(await save())) return;
  markErrorLine(editor.view, null);
  $("btn-run").hidden = true;
  $("btn-stop").hidden = false;
  try {
    const result = await runPanel.run(state.script.id, func, kwargs);
    window.dispatchEvent(new CustomEvent("funcpad:ran", {
      detail: { scriptId: state.script.id, status: result ? result.status : "failure" },
    }));
  } finally {
    $("btn-run").hidden = false;
    $("btn-stop").hidden = true;
  }
}

$("btn-run").addEventListener("click", () => runSelected());
$("btn-stop").addEventListener("click", () => runPanel.stop());
$("output-clear").addEventListener("click", () => runPanel.clear());
$("kwargs-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    runSelected();
  }
});

// Drag the bar above the output panel to give the code or the output more room.
(() => {
  const panel = $("output-panel");
  const saved = Number(localStorage.getItem("funcpad.outputHeight"));
  if (saved > 60) panel.style.height = `${saved}px`;
  $("output-resizer").addEventListener("pointerdown", (event) => {
    const startY = event.clientY;
    const startHeight = panel.offsetHeight;
    const move = (e) => {
      const height = Math.min(Math.max(startHeight + startY - e.clientY, 60), window.innerHeight - 200);
      panel.style.height = `${height}px`;
    };
    const up = () => {
      localStorage.setItem("funcpad.outputHeight", String(panel.offsetHeight));
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  });
})();

// --- start -------------------------------------------------------------------------------------

setHistoryOpen(state.historyOpen && Boolean(bootData.scriptId));
await loadList();
if (bootData.scriptId) {
  const script = state.scripts.find((s) => s.id === bootData.scriptId);
  if (script) await openScript(bootData.scriptId, false);
  else { showWelcome(); history.replaceState({}, "", "/scripts"); }
}
document.body.dataset.ready = "1";
