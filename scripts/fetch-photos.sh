#!/usr/bin/env bash
# Natural photographs for `imgwire encode --images DIR`:
#   scripts/fetch-photos.sh [DIR]
# DIR defaults to the repository's out/photos (where the tests look); a
# relative DIR is taken from the directory the command is run in.
# Takes five colour photographs from scikit-image's sample data, which its
# PyPI wheel ships under skimage/data/: the wheel is downloaded with pip
# (never installed) and only those files are unpacked into DIR. Running it
# again with every photograph already in DIR downloads nothing.
#
# The photographs and their terms, as scikit-image's own docstrings
# (skimage/data/_fetchers.py) state them:
#   astronaut.png          Eileen Collins, NASA; public domain
#   chelsea.png            a cat; CC0, by Stefan van der Walt
#   coffee.png             a cup of coffee; CC0, by Rachel Michetti
#   rocket.jpg             a SpaceX launch; released into the public domain
#   hubble_deep_field.jpg  NASA's Hubble deep field; public domain
# They are small (300 to 1000 pixels a side), so at 1080x1920 they are
# scaled up and softer than a camera's own frames.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$repo/out/photos}"
version="0.26.0"
photos=(astronaut.png chelsea.png coffee.png rocket.jpg hubble_deep_field.jpg)

have_all() {
    local photo
    for photo in "${photos[@]}"; do
        [ -s "$dir/$photo" ] || return 1
    done
}

mkdir -p "$dir"
if have_all; then
    echo "fetch-photos: all ${#photos[@]} photographs already in $dir"
    exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps \
    "scikit-image==$version" -d "$tmp" >&2
wheel="$(ls "$tmp"/scikit_image-*.whl 2>/dev/null | head -n 1 || true)"
if [ -z "$wheel" ]; then
    echo "fetch-photos: pip fetched no scikit-image wheel (only a source archive?) into $tmp" >&2
    exit 1
fi
python3 - "$wheel" "$dir" "${photos[@]}" <<'PY'
import sys, zipfile, os
wheel, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        data = z.read("skimage/data/" + name)
        tmp = os.path.join(out, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(out, name))
PY
cat > "$dir/SOURCE.txt" <<TXT
Sample photographs from scikit-image $version (PyPI wheel, skimage/data/),
unpacked by scripts/fetch-photos.sh. Terms as skimage/data/_fetchers.py states:
astronaut.png (NASA, public domain), chelsea.png (CC0, Stefan van der Walt),
coffee.png (CC0, Rachel Michetti), rocket.jpg (SpaceX, public domain),
hubble_deep_field.jpg (NASA, public domain).
TXT
have_all
echo "fetch-photos: ${#photos[@]} photographs in $dir"
