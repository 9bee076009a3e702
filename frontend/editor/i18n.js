// Translated strings come from the page (rendered by Flask-Babel); this only fills placeholders.
const boot = JSON.parse(document.getElementById("funcpad-boot").textContent);

export const bootData = boot;

/** Translate `key`, replacing `%(name)s` placeholders with `params[name]`. */
export function t(key, params = {}) {
  const template = boot.messages[key] ?? key;
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? ""));
}
