// The unified social credit code (GB 32100) checked as it is typed, with the same messages as the
// server (app/standards/credit_code.py); the server checks again.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function normalise(text) {
  return text.replace(/[\s\u3000]/g, '').replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).toUpperCase();
}

export function checkChar(first17) {
  const sum = [...first17].reduce((s, c, i) => s + ALPHABET.indexOf(c) * WEIGHTS[i], 0);
  return ALPHABET[(31 - (sum % 31)) % 31];
}

// null when valid, else what to fix.
export function problem(text) {
  const code = normalise(text);
  if (!code) return '请填写统一社会信用代码';
  if (code.length > 18 && /[^0-9A-Z]/.test(code)) return '这段文字里没有有效的 18 位统一社会信用代码，请对照营业执照核对';
  for (let i = 0; i < code.length && i < 18; i += 1) {
    if (!ALPHABET.includes(code[i])) {
      return 'IOZSV'.includes(code[i]) ? `第${i + 1}位“${code[i]}”不是合法字符（不使用I、O、Z、S、V）`
        : `第${i + 1}位“${code[i]}”不是合法字符（只能是数字或大写字母）`;
    }
  }
  if (code.length !== 18) return `统一社会信用代码应为18位，现为${code.length}位`;
  const expected = checkChar(code.slice(0, 17));
  if (code[17] === expected || looksLikePilot(code)) return null;
  return `校验码错误：第18位应为“${expected}”`;
}

// Not wrong so far, only short: what is typed could still become a valid code.
export function unfinished(text) {
  const code = normalise(text);
  return code.length < 18 && [...code].every((c) => ALPHABET.includes(c));
}

// Fujian's pilot codes predate the standard's check character; the server accepts them and flags
// them for the reviewer (its rule also checks the organisation code, which is not repeated here).
function looksLikePilot(code) {
  return ['3501', '3502'].includes(code.slice(2, 6)) && code[8] === 'M' && code[9] !== 'A';
}

// A business licence's QR usually holds a URL with the code in it; take the code out.
export function fromScan(text) {
  const candidates = normalise(text).match(/[0-9A-HJ-NP-RTUW-Y]{18}/g) || [];
  return candidates.find((c) => !problem(c)) || null;
}
