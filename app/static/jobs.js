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
