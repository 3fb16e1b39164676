"""QR symbols for plates: error correction Q, the smallest version, and the standard mask choice.

`qrcode` builds a good symbol but spends most of its time choosing the mask: it draws all eight
masked symbols and scores each with the penalty rules of ISO/IEC 18004 (N1 runs, N2 2×2 blocks,
N3 finder-like 1:1:3:1:1 patterns, N4 dark proportion) in pure Python. Here `qrcode` still decides
the segments and the version, and its tables give the function patterns; the Reed–Solomon check
bytes, the placement and the eight scores are done with integer tricks and numpy.

The mask choice follows the standard where `qrcode` does not. ISO/IEC 18004:2015 §7.8.3.1 says
that although masking covers only the encoding region, "the area to be evaluated is the complete
symbol"; `qrcode` (8.2) scores its candidates with the format information, the version information
and the dark module still blank (python-qrcode issue #388), and for about half of our plate URLs
that picks another mask. We score the complete symbols, with the penalty rules counted exactly as
`qrcode`'s `lost_point` counts them (tests/plates/test_render.py checks both the scores and the
choice against `qrcode` drawing each complete symbol; and that scoring with the format area blank
gives `qrcode`'s own `best_mask_pattern`). One reading is `qrcode`'s rather than the only one: an
N3 pattern must lie wholly inside the symbol (the quiet zone is not counted as its light run).
Whichever mask is chosen, the symbol decodes to the same URL; the choice only avoids patterns that
make scanning harder.
"""

from functools import cache

import numpy as np
import qrcode
from qrcode import util as qr_util
from qrcode.base import EXP_TABLE, LOG_TABLE, rs_blocks
from qrcode.constants import ERROR_CORRECT_Q

ECC = ERROR_CORRECT_Q
QUIET_ZONE = 4  # modules of light margin the standard asks for around the symbol

# N3: dark-light-dark-dark-dark-light-dark with four light modules after or before it
_N3_PATTERNS = (0b10111010000, 0b00001011101)


def qr_matrix(url: str) -> np.ndarray:
    """The symbol for url as an n×n bool array (True = dark), without the quiet zone."""
    symbols = _candidates(url)
    return symbols[int(np.argmin(penalties(symbols)))].astype(bool)


def chosen_mask(url: str, *, format_area_blank: bool = False) -> int:
    """The mask pattern (0–7) qr_matrix picks for url. With format_area_blank, the masks are
    scored as `qrcode` scores them (format and version information left blank): its choice."""
    return int(np.argmin(penalties(_candidates(url, format_area_blank))))


def qr_version(url: str) -> int:
    return _version_for(_segments(url))


def _candidates(url: str, format_area_blank: bool = False) -> np.ndarray:
    """The 8 complete symbols for url, one per mask, as a (8, n, n) array of 0/1."""
    segments = _segments(url)
    version = _version_for(segments)
    layout = _layout(version)
    bits = _data_bits(version, segments, len(layout.rows))
    symbols = (layout.blank_format_base if format_area_blank else layout.base).copy()
    symbols[:, layout.rows, layout.cols] = bits[None, :] ^ layout.mask_bits
    return symbols


def _segments(url: str) -> list:
    # qrcode's own split into numeric / alphanumeric / byte segments (its QRCode(optimize=20))
    return list(qr_util.optimal_data_chunks(url.encode("utf-8"), minimum=20))


def penalties(symbols: np.ndarray) -> np.ndarray:
    """Penalty score N1+N2+N3+N4 of each symbol in a (k, n, n) array of 0/1, as `qrcode` counts."""
    k, n, _ = symbols.shape
    s = symbols.astype(np.int8)
    lines = np.concatenate([s, s.transpose(0, 2, 1)], axis=1)  # (k, 2n, n): rows, then columns

    # N1: every run of five or more same-colour modules scores 3 + (length - 5)
    starts = np.ones(lines.shape, dtype=bool)
    starts[:, :, 1:] = lines[:, :, 1:] != lines[:, :, :-1]
    flat_starts = np.flatnonzero(starts.ravel())
    run_lengths = np.diff(np.append(flat_starts, starts.size))
    long_runs = run_lengths >= 5
    n1 = np.bincount(flat_starts[long_runs] // (2 * n * n), weights=run_lengths[long_runs] - 2, minlength=k)

    # N2: every 2×2 block of one colour (overlapping blocks each count) scores 3
    top_left = s[:, :-1, :-1]
    same = (top_left == s[:, 1:, :-1]) & (top_left == s[:, :-1, 1:]) & (top_left == s[:, 1:, 1:])
    n2 = 3 * same.sum(axis=(1, 2))

    # N3: each 11-module window of a row or column equal to one of the two patterns scores 40
    windows = np.zeros((k, 2 * n, n - 10), dtype=np.int32)
    for offset in range(11):
        windows = (windows << 1) | lines[:, :, offset:offset + n - 10]
    n3 = 40 * ((windows == _N3_PATTERNS[0]) | (windows == _N3_PATTERNS[1])).sum(axis=(1, 2))

    # N4: 10 points per full 5 % that the dark share departs from 50 %
    dark = s.sum(axis=(1, 2))
    n4 = np.array([10 * int(abs(float(d) / (n * n) * 100 - 50) / 5) for d in dark])
    return n1 + n2 + n3 + n4


def _version_for(data_list) -> int:
    code = qrcode.QRCode(error_correction=ECC)
    code.data_list = data_list
    return code.best_fit()


def _data_bits(version: int, data_list, positions: int) -> np.ndarray:
    """Data and error-correction codewords, interleaved, as the bits placed in the symbol."""
    blocks = rs_blocks(version, ECC)
    buffer = qr_util.BitBuffer()
    for data in data_list:
        buffer.put(data.mode, 4)
        buffer.put(len(data), qr_util.length_in_bits(data.mode, version))
        data.write(buffer)
    bit_limit = sum(block.data_count * 8 for block in blocks)
    # terminator, then bit padding to a byte, then the alternating pad codewords (as create_data)
    if len(buffer) > bit_limit:
        raise ValueError("data does not fit a QR symbol")
    used = len(buffer) + min(bit_limit - len(buffer), 4)
    data = bytearray(buffer.buffer[: (len(buffer) + 7) // 8])
    data += bytes((used + 7) // 8 - len(data))
    pad = bytes([qr_util.PAD0, qr_util.PAD1]) * (bit_limit // 16 + 1)
    data += pad[: bit_limit // 8 - len(data)]

    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = bytes(data[offset:offset + block.data_count])
        offset += block.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_rs_remainder(chunk, block.total_count - block.data_count))
    codewords = bytearray()
    for group in (data_blocks, ec_blocks):
        for i in range(max(len(b) for b in group)):
            codewords.extend(b[i] for b in group if i < len(b))
    bits = np.unpackbits(np.frombuffer(bytes(codewords), dtype=np.uint8))
    placed = np.zeros(positions, dtype=np.uint8)  # remainder bits stay light
    placed[: min(positions, bits.size)] = bits[:positions]
    return placed


def _rs_remainder(data: bytes, ec_count: int) -> bytes:
    """Reed–Solomon check bytes: the remainder of data·x^ec over the generator, as an LFSR on an int."""
    table = _rs_table(ec_count)
    top = 8 * (ec_count - 1)
    keep = (1 << (8 * ec_count)) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder << 8) & keep) ^ table[byte ^ (remainder >> top)]
    return remainder.to_bytes(ec_count, "big")


@cache
def _rs_table(ec_count: int) -> tuple[int, ...]:
    generator = [1]  # product of (x - α^i), highest power first
    for i in range(ec_count):
        nxt = generator + [0]
        for j, coef in enumerate(generator):
            nxt[j + 1] ^= _gf_mul(coef, EXP_TABLE[i % 255])
        generator = nxt
    return tuple(int.from_bytes(bytes(_gf_mul(c, g) for g in generator[1:]), "big") for c in range(256))


def _gf_mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else EXP_TABLE[(LOG_TABLE[a] + LOG_TABLE[b]) % 255]


class _Layout:
    """What does not depend on the data, per version: function patterns and the data positions."""

    def __init__(self, version: int):
        n = version * 4 + 17
        self.base = np.zeros((8, n, n), dtype=np.uint8)  # function patterns and format information
        self.blank_format_base = np.zeros((8, n, n), dtype=np.uint8)  # as qrcode scores: format area light
        free = None
        for mask in range(8):
            for test, target in ((True, self.blank_format_base), (False, self.base)):
                modules = _function_patterns(version, test, mask)
                target[mask] = [[1 if m else 0 for m in row] for row in modules]
                free = [[m is None for m in row] for row in modules]
        self.rows, self.cols = _placement_order(free)
        i, j = self.rows.astype(np.int64), self.cols.astype(np.int64)
        self.mask_bits = np.stack([_MASKS[m](i, j) for m in range(8)]).astype(np.uint8)


_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)


class _PatternsOnly(qrcode.QRCode):
    def map_data(self, data, mask_pattern):  # leave the data modules as None
        pass


def _function_patterns(version: int, test: bool, mask: int) -> list[list]:
    code = _PatternsOnly(version=version, error_correction=ECC)
    code.data_cache = []
    code.makeImpl(test, mask)
    return code.modules


def _placement_order(free: list[list[bool]]) -> tuple[np.ndarray, np.ndarray]:
    """The data modules in the order codeword bits go in: two-column zigzag from the bottom right."""
    n = len(free)
    rows, cols = [], []
    upward = True
    col = n - 1
    while col > 0:
        if col == 6:  # the vertical timing pattern is skipped as a whole column
            col -= 1
        for row in (range(n - 1, -1, -1) if upward else range(n)):
            for c in (col, col - 1):
                if free[row][c]:
                    rows.append(row)
                    cols.append(c)
        upward = not upward
        col -= 2
    return np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp)


@cache
def _layout(version: int) -> _Layout:
    return _Layout(version)
