// JSON calls to /api/v1 with the session cookie and the CSRF header.
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(method, path, body) {
  const init = {
    method,
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken },
    credentials: "same-origin",
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api/v1${path}`, init);
  if (response.status === 401) {
    // Session expired: go log in again and come back here.
    window.location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new ApiError(401, { message: "unauthorized" });
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
