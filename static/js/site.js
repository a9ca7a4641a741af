// Keyboard and screen-reader users must not lose their place when htmx swaps a fragment:
// move focus to the new result, or back to the first control if the form came back.
document.addEventListener("htmx:afterSwap", (event) => {
  const id = event.detail.target && event.detail.target.id;
  const swapped = id ? document.getElementById(id) : null;
  if (!swapped) return;
  const focusTarget = swapped.querySelector("[data-focus-first], .result, [role=alert], input:not([type=hidden]), select, textarea");
  if (focusTarget) focusTarget.focus({ preventScroll: false });
});
