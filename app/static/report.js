// Checks on the public report forms as they are typed, with the server's messages (the server checks
// again): the ID number's birth date and check character, the credit code's. Also hides the typed
// room fields while a room is chosen from the list.
import { problem as creditProblem } from '/app/js/credit.js';

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

export function idProblem(text) {
  const n = text.replace(/[\s\u3000]/g, '').replace(/[\uff10-\uff19\uff38\uff58]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).toUpperCase();
  if (!n) return '请填写公民身份号码';
  const bad = [...n].findIndex((c, i) => !(/\d/.test(c) || (i === 17 && c === 'X')));
  if (bad >= 0 && bad < 18) return `公民身份号码第${bad + 1}位“${n[bad]}”应为数字${bad === 17 ? '或X' : ''}`;
  if (n.length !== 18) return `公民身份号码应为18位，现为${n.length}位${n.length === 15 ? '（15位旧号码请换成18位新号码）' : ''}`;
  const [y, m, d] = [n.slice(6, 10), n.slice(10, 12), n.slice(12, 14)].map(Number);
  const born = new Date(Date.UTC(y, m - 1, d));
  if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d) {
    return `公民身份号码第7-14位“${n.slice(6, 14)}”不是有效的出生日期`;
  }
  if (born > new Date() || y < 1800) return `公民身份号码出生日期${n.slice(6, 10)}-${n.slice(10, 12)}-${n.slice(12, 14)}${y < 1800 ? '早于1800年' : '晚于今天'}`;
  const sum = [...n.slice(0, 17)].reduce((s, c, i) => s + Number(c) * ID_WEIGHTS[i], 0);
  if (n[17] !== ID_CHECK[sum % 11]) return `公民身份号码校验码错误：第18位应为“${ID_CHECK[sum % 11]}”`;
  return null;
}

const labelled = (label, message) => (!message || message.startsWith(label) ? message : `${label}${message}`);
const CHECKS = { id_number: idProblem, credit_code: (v) => labelled('统一社会信用代码', creditProblem(v)) };

for (const input of document.querySelectorAll('[data-check]')) {
  const show = () => {
    const message = input.value ? CHECKS[input.dataset.check](input.value) : null;
    const box = input.closest('.field');
    box.classList.toggle('invalid', Boolean(message));
    box.querySelector('.field-error').textContent = message ?? '';
  };
  input.addEventListener('input', show);
  input.addEventListener('blur', show);
}

const roomList = document.querySelector('[data-other]');
if (roomList) {
  const typed = document.getElementById(roomList.dataset.other);
  const toggle = () => { typed.hidden = roomList.value !== ''; };
  roomList.addEventListener('change', toggle);
  toggle();
}
