// The users and keys page: a button[data-confirm] asks before its form goes.
for (const button of document.querySelectorAll("button[data-confirm]")) {
  button.addEventListener("click", (event) => { if (!confirm(button.dataset.confirm)) event.preventDefault(); });
}
// A page showing a key just issued answers the POST that issued it. Turn its history entry into a
// plain GET of the page, so that reloading shows the list again instead of re-sending the form (a
// second key).
if (document.getElementById("issued")) history.replaceState(null, "", location.pathname);
