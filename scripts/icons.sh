#!/usr/bin/env bash
# Regenerates every application icon in icons/ from icons/icon-source.png (1024x1024 RGBA):
# the PNGs of the Linux bundle and the window, icon.ico for Windows and icon.icns for macOS.
# Needs ImageMagick's `convert` and python3 (the ICNS container is written below). The
# upstream way is `cargo tauri icon icons/icon-source.png`; this script makes the same set
# without installing the Tauri CLI. See icons/README.md.
set -euo pipefail

dir="$(cd "$(dirname "$0")/.." && pwd)/icons"
source_png="$dir/icon-source.png"
[ -f "$source_png" ] || { echo "missing $source_png" >&2; exit 1; }

# 8-bit RGBA (`PNG32:`) as Tauri requires, without the timestamps ImageMagick would write, so
# regenerating an unchanged source changes no file.
png() { # size output
    convert "$source_png" -strip -filter Lanczos -resize "$1x$1" \
        -define png:exclude-chunks=date,time "PNG32:$2"
}

png 32 "$dir/32x32.png"
png 128 "$dir/128x128.png"
png 256 "$dir/128x128@2x.png"
png 512 "$dir/icon.png"

# Windows: one .ico with every size Explorer and the taskbar pick from (256 is stored as PNG).
convert "$source_png" -strip -define icon:auto-resize=256,128,64,48,32,24,16 "$dir/icon.ico"

# macOS: an ICNS container of PNG chunks, each its pixel size: the 'icns' magic and the file
# length, then per chunk a type, its length (header included) and the PNG.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chunks=(icp4:16 icp5:32 icp6:64 ic07:128 ic08:256 ic09:512 ic10:1024 ic11:32 ic12:64 ic13:256 ic14:512)
for chunk in "${chunks[@]}"; do
    png "${chunk#*:}" "$work/${chunk%%:*}.png"
done
python3 - "$dir/icon.icns" "$work" "${chunks[@]%%:*}" <<'PY'
import struct, sys
out, work, types = sys.argv[1], sys.argv[2], sys.argv[3:]
body = b""
for kind in types:
    with open(f"{work}/{kind}.png", "rb") as f:
        data = f.read()
    body += kind.encode("ascii") + struct.pack(">I", 8 + len(data)) + data
with open(out, "wb") as f:
    f.write(b"icns" + struct.pack(">I", 8 + len(body)) + body)
PY

echo "icons written to $dir"
