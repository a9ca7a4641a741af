// Studio form editors: after htmx swaps the editor (add, remove, move), put focus where the
// server marked it with `autofocus` (the added field, the moved item's button), as a full
// page load without JavaScript does. Preview swaps never move focus.
document.addEventListener("htmx:afterSettle", (event) => {
  const form = event.detail.elt;
  if (!form || !form.matches || !form.matches("[data-assessment-editor]")) return;
  const target = form.querySelector("[autofocus]");
  if (target) target.focus();
});
