"""Cut a CID-keyed CFF font down to some glyphs, for a PDF's FontFile3. Run as a script:

    python app/plates/subset_cff.py FONT_PATH FACE_INDEX < glyph-ids > cff-bytes

Parsing Noto Sans CJK's 65,000-glyph CFF table takes fontTools some 75 MiB for a moment, and a long
process does not give that back to the system; a print job (which may run inside a web worker) pays
it in this short-lived process instead. Imports nothing of Yibiao, so it starts in ~0.1 s.
"""
import sys

from fontTools import subset
from fontTools.ttLib import TTFont


def subset_cff(path: str, index: int, gids: list[int]) -> bytes:
    face = TTFont(path, fontNumber=index, lazy=True)
    order = face.getGlyphOrder()
    wrong = [order[g] for g in gids if g and order[g] != f"cid{g:05d}"]
    if wrong:
        raise ValueError(f"{path}: glyphs {wrong[:3]} are not CID-keyed by glyph id; use Noto Sans CJK")
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = []
    options.layout_features = []
    options.hinting = True
    options.drop_tables += [tag for tag in face.keys() if tag not in ("CFF ", "head", "hhea", "maxp", "GlyphOrder")]
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=sorted({order[g] for g in gids}))
    subsetter.subset(face)
    return face["CFF "].compile(face)


if __name__ == "__main__":
    try:
        cff = subset_cff(sys.argv[1], int(sys.argv[2]), [int(g) for g in sys.stdin.read().split()])
    except ValueError as e:
        sys.exit(str(e))
    sys.stdout.buffer.write(cff)
