// Background jobs on the pages: a button[data-start-job] starts one (its data-body as the JSON), an
// element #job[data-url] is followed (progress bar, count, status; data-progress names the member of
// the answer that holds the progress, when the URL is not a job's), and reloads the page when it is
// done if it says data-reload. Pages carry data, never script.

// Start a background job through the API and follow it to the job page with its progress bar.
export async function startJob(url, body) {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) {
    alert(`${data.title}${data.detail && data.detail !== data.title ? "：" + data.detail : ""}`);
    return;
  }
  window.location.href = `/jobs/${data.id}`;
}

// Poll a job until it is done or failed, moving the bar and the "done / total" text.
// `finished` (optional) runs once the job is done, e.g. to show the page of its result; `pick`
// (optional) finds the job's progress in what the URL answers (a register answers with its own).
export function followJob(jobUrl, elements, finished, pick = (body) => body) {
  const tick = async () => {
    const response = await fetch(jobUrl, { headers: { Accept: "application/json" } });
    const job = pick(await response.json());
    elements.bar.style.width = `${job.percent}%`;
    elements.bar.parentElement.setAttribute("aria-valuenow", job.percent);
    elements.count.textContent = job.total ? `${job.done} / ${job.total}` : "";
    elements.status.textContent = job.status_label;
    elements.message.textContent = job.message || "";
    if (job.status === "done") {
      if (finished) finished(job);
      if (job.download) {
        elements.download.href = job.download;
        elements.download.hidden = false;
      }
    } else if (job.status !== "failed") {
      setTimeout(tick, 700);
    }
  };
  tick();
}

for (const button of document.querySelectorAll("button[data-start-job]")) {
  button.addEventListener("click", () => startJob(button.dataset.startJob, JSON.parse(button.dataset.body || "{}")));
}
const followed = document.getElementById("job");
if (followed) {
  const byId = (id) => document.getElementById(id);
  followJob(followed.dataset.url, { bar: byId("bar"), count: byId("count"), status: byId("status"), message: byId("message"),
    download: byId("download") }, followed.dataset.reload !== undefined ? () => window.location.reload() : undefined,
    followed.dataset.progress ? (body) => body[followed.dataset.progress] : undefined);
}
