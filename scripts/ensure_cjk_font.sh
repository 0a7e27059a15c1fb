#!/bin/sh
# Make sure the charts have a font with Simplified Chinese glyphs (see coopapp/charts/fonts.py).
#   1. one is already there (fc-list :lang=zh, Debian's Noto path, $COOP_CJK_FONT): done;
#   2. root with apt-get: install Debian's fonts-noto-cjk (apt-get update first if needed);
#   3. otherwise: pip-install the PyPI package noto-cjk-sans-otc (Noto Sans CJK) into the venv;
#   4. if all fail: say how to get one, and exit 0 — charts then say "CJK font missing".
# Usage: scripts/ensure_cjk_font.sh [VENV]   (VENV defaults to .venv)
set -u
VENV="${1:-.venv}"
PY="$VENV/bin/python"
[ -x "$PY" ] || PY=python3

have_font() {
    # The app's own check: a face whose character map covers the probe characters.
    "$PY" -c "import sys; from coopapp.charts.fonts import main; sys.exit(main())" >/dev/null 2>&1 && return 0
    # Before the venv has fontTools, trust fontconfig or the known path.
    if ! "$PY" -c "import fontTools" >/dev/null 2>&1; then
        [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && return 0
        command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh file 2>/dev/null)" ] && return 0
    fi
    return 1
}

report() {
    "$PY" -c "import sys; from coopapp.charts.fonts import main; sys.exit(main())" 2>/dev/null | sed 's/^/CJK font for charts: /'
}

if have_font; then report; exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's fonts-noto-cjk for the charts' Chinese labels"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends fonts-noto-cjk >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends fonts-noto-cjk >/dev/null; }
    if have_font; then report; exit 0; fi
fi

if [ -x "$VENV/bin/pip" ]; then
    echo "installing the PyPI font package noto-cjk-sans-otc into $VENV (no root needed)"
    "$VENV/bin/pip" install -q noto-cjk-sans-otc==0.0.1 && have_font && { report; exit 0; }
fi

cat >&2 <<'MSG'
WARNING: no font with Simplified Chinese glyphs was found or could be installed, so the
charts will show "CJK font missing: run make fonts" instead of Chinese labels. Either
  - as root on Debian/Ubuntu:  apt-get install fonts-noto-cjk
  - without root:              .venv/bin/pip install noto-cjk-sans-otc
  - or point the app at a font you have (.ttf/.otf/.ttc with Chinese glyphs):
        export COOP_CJK_FONT=/path/to/NotoSansCJK-Regular.ttc
then run `make fonts` again.
MSG
exit 0
