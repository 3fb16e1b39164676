// The review item page: keyboard shortcuts for the decisions (legend on the page), and photos
// opened large in a dialog.
const submit = (id) => document.getElementById(id)?.requestSubmit();
const go = (id) => { const link = document.getElementById(id); if (link) window.location.href = link.href; };
const focusReason = () => document.getElementById("reject-reason")?.focus();
const openReturn = () => {
  const panel = document.getElementById("return-panel");
  if (!panel) return;
  panel.open = true;
  panel.querySelector("textarea")?.focus();
};
const KEYS = { a: () => submit("approve-form"), c: () => submit("claim-form"), r: focusReason, t: openReturn,
  j: () => go("next-item"), k: () => go("prev-item") };

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (event.target.closest("input, textarea, select, [contenteditable]") || document.querySelector("dialog[open]")) return;
  const action = KEYS[event.key.toLowerCase()];
  if (action) {
    event.preventDefault(); // the letter must not be typed into the field it focuses
    action();
  }
});

const dialog = document.getElementById("photo-dialog");
for (const thumb of document.querySelectorAll("a.thumb")) {
  thumb.addEventListener("click", (event) => {
    event.preventDefault();
    dialog.querySelector("img").src = thumb.href;
    dialog.showModal();
  });
}
dialog?.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
