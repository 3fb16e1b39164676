// A checkbox[data-select-all] ticks or clears every checkbox named by its value in the same form.
for (const all of document.querySelectorAll("input[data-select-all]")) {
  all.addEventListener("change", () => {
    for (const box of all.form.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`)) {
      box.checked = all.checked;
    }
  });
}
