// Keyboard and screen-reader users must not lose their place when htmx swaps a fragment:
// when focus was inside the region being replaced, move it to what the fragment marks
// (data-focus-first), else the new result, message or first control, else the region itself.
// A region that refreshes itself in the background (focus elsewhere) never takes focus.
let focusWasIn = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  focusWasIn = target && target.id && target.contains(document.activeElement) ? target.id : null;
});
document.addEventListener("htmx:afterSwap", (event) => {
  const id = event.detail.target && event.detail.target.id;
  if (!id || id !== focusWasIn) return;
  focusWasIn = null;
  const swapped = document.getElementById(id);
  if (!swapped) return;
  const focusTarget =
    swapped.querySelector("[data-focus-first]:not([disabled])") ||
    swapped.querySelector(".result, [role=alert], input:not([type=hidden]):not([disabled]), select, textarea") ||
    swapped;
  if (!focusTarget.matches("a[href], button, input, select, textarea, [tabindex]")) focusTarget.setAttribute("tabindex", "-1");
  focusTarget.focus({ preventScroll: false });
});

// A page that comes back with an error summary (a refused save) puts focus on it, so the
// learner hears the problems and can follow their links to the fields.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();
});

// A request htmx does not swap (403, 404, 429, 5xx) or cannot send must not fail silently:
// say in place what happened and how to recover, announced as an alert. Nothing is swapped,
// so whatever the learner selected stays selected.
const REFUSALS = {
  csrf: "Your session changed since this page was loaded (perhaps you logged in or out in another tab), so this was not saved. Reload the page, then answer again.",
  403: "This was refused: you may have been logged out. Reload the page (or log in again), then try again.",
  404: "This item is no longer available: it may have been edited or unpublished. Reload the page to see the current version.",
  429: "Too many attempts in a short time, so this was not saved. Wait a minute, then try again; your choices are still selected.",
  500: "Something went wrong on our side and nothing was saved. Try again in a moment; your choices are still selected.",
  network: "We could not reach the server, so nothing was saved. Check your connection, then try again; your choices are still selected.",
};

function refusalMessage(xhr) {
  if (!xhr || !xhr.status) return REFUSALS.network;
  if (xhr.status === 403 && xhr.getResponseHeader("X-Refused") === "csrf") return REFUSALS.csrf;
  if (xhr.status === 429) {
    const wait = parseInt(xhr.getResponseHeader("Retry-After") || "", 10);
    if (wait > 0) return REFUSALS[429].replace("Wait a minute", `Wait ${wait} second${wait === 1 ? "" : "s"}`);
  }
  return REFUSALS[xhr.status] || (xhr.status >= 500 ? REFUSALS[500] : REFUSALS[403]);
}

let refusalCount = 0;

function showRefusal(elt, xhr) {
  if (!elt || !elt.isConnected) return;
  clearRefusal(elt);
  if (!elt.id) elt.dataset.refusalFor = `refused-${++refusalCount}`;
  const box = document.createElement("div");
  box.className = "request-error";
  box.setAttribute("role", "alert");
  box.dataset.refusalOf = elt.id || elt.dataset.refusalFor;
  const text = document.createElement("p");
  text.textContent = refusalMessage(xhr);
  box.append(text);
  const needsReload = xhr && [403, 404].includes(xhr.status);
  if (needsReload) {
    const reload = document.createElement("button");
    reload.type = "button";
    reload.className = "button button--secondary button--small";
    reload.textContent = "Reload the page";
    reload.addEventListener("click", () => window.location.reload());
    box.append(reload);
  }
  // Inside a form, just above its buttons; otherwise after the paragraph holding the element
  // (a <p> or a link cannot hold a block).
  const actions = elt.tagName === "FORM" ? elt.querySelector(".question__actions, button[type=submit]") : null;
  if (actions) actions.before(box);
  else (elt.closest("p") || elt).after(box);
}

function clearRefusal(elt) {
  const key = elt.id || elt.dataset.refusalFor;
  if (!key) return;
  for (const old of document.querySelectorAll(".request-error")) {
    if (old.dataset.refusalOf === key) old.remove();
  }
}

document.addEventListener("htmx:beforeRequest", (event) => clearRefusal(event.detail.elt));
document.addEventListener("htmx:responseError", (event) => showRefusal(event.detail.elt, event.detail.xhr));
document.addEventListener("htmx:sendError", (event) => showRefusal(event.detail.elt, null));
document.addEventListener("htmx:timeout", (event) => showRefusal(event.detail.elt, null));
