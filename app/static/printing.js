// The plate printing page: the preview follows the kinds ticked; printing starts a job for the area.
import { startJob } from "./jobs.js";
const form = document.getElementById("print-form");
form.addEventListener("change", () => {
  document.getElementById("print-error").hidden = true;
  // The preview shows a plate of the first kind ticked.
  const box = form.querySelector("input[name=kinds]:checked[data-sample]");
  const preview = document.getElementById("preview");
  if (box && preview && preview.getAttribute("src") !== box.dataset.sample) {
    preview.src = box.dataset.sample;
    document.getElementById("preview-detail").href = box.dataset.detail;
  }
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const kinds = [...form.querySelectorAll("input[name=kinds]:checked")].map((box) => box.value);
  const error = document.getElementById("print-error");
  if (!kinds.length) { error.textContent = "请至少选择一种门牌"; error.hidden = false; return; }
  document.getElementById("start").disabled = true;
  startJob(form.dataset.url, { area_code: form.dataset.area, kinds, layout: form.layout.value });
});
