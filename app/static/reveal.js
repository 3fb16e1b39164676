// Full personal data is fetched on demand through the audited API, never put in the page: a
// button.reveal posts to its data-url and fills the .id-number and .phone of its row (or section).
const token = document.querySelector('meta[name="csrf-token"]').content;
for (const button of document.querySelectorAll('button.reveal')) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    const response = await fetch(button.dataset.url, { method: 'POST', headers: { 'X-CSRFToken': token } });
    const data = await response.json();
    if (!response.ok) { alert(data.title); button.disabled = false; return; }
    const scope = button.closest('tr, section');
    const idNumber = scope.querySelector('.id-number');
    if (idNumber) idNumber.textContent = data.id_number;
    scope.querySelector('.phone').textContent = data.phone || '—';
    button.textContent = '已显示（已记录）';
  });
}
