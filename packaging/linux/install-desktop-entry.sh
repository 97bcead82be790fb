#!/usr/bin/env bash
# Put Review Sentiment in this user's application launcher, so it opens by double-click.
#
#   packaging/linux/install-desktop-entry.sh [BINARY]         install (default: dist/review-sentiment/review-sentiment)
#   packaging/linux/install-desktop-entry.sh --uninstall      remove what install put there
#
# Writes, for the current user only (no root needed), under ${XDG_DATA_HOME:-~/.local/share}:
#   applications/review-sentiment.desktop          pointing at the built binary, where it is now
#   icons/hicolor/<size>x<size>/apps/review-sentiment.png
# Run it again after moving the built folder.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NAME=review-sentiment
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"
SIZES="16 24 32 48 64 128 256 512"

refresh_caches() {
    # The launcher notices new entries by itself on most desktops; these make it immediate.
    if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q "$APPS" || true; fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$ICONS/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$ICONS" || true
    fi
}

# A value for the desktop entry's Exec key: quoted when the path holds characters the
# Desktop Entry Specification reserves, with ", `, $ and \ escaped, then \ escaped again
# because Exec is a string value.
exec_quoted() {
    local path=$1
    if [[ "$path" =~ [[:space:]\"\'\\\>\<~\|\&\;\$\*\?\#\(\)\`] ]]; then
        path=$(printf '%s' "$path" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g')
        path="\"$path\""
    fi
    printf '%s' "$path"
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$APPS/$NAME.desktop"
    for size in $SIZES; do rm -f "$ICONS/${size}x${size}/apps/$NAME.png"; done
    refresh_caches
    echo "Removed the Review Sentiment launcher entry and icons from $DATA"
    exit 0
fi

binary="${1:-$ROOT/dist/$NAME/$NAME}"
if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
    echo "install-desktop-entry: $binary is not an executable file." >&2
    echo "Build the app first (scripts/build_app.sh), or name the built binary: $0 /path/to/$NAME" >&2
    exit 1
fi
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
if [[ "$binary" == *$'\n'* ]]; then
    echo "install-desktop-entry: the path $binary holds a line break, which a desktop entry cannot name" >&2
    exit 1
fi

mkdir -p "$APPS"
for size in $SIZES; do
    mkdir -p "$ICONS/${size}x${size}/apps"
    cp "$HERE/../icons/$NAME-$size.png" "$ICONS/${size}x${size}/apps/$NAME.png"
done

entry="$APPS/$NAME.desktop"
tmp="$(mktemp "$APPS/.$NAME.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
quoted="$(exec_quoted "$binary")"
# TryExec takes a plain path (no quoting), so spaces are fine there; backslashes are escaped.
try_exec="$(printf '%s' "$binary" | sed 's/\\/\\\\/g')"
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        Exec=*) printf 'Exec=%s %%f\n' "$quoted" ;;
        TryExec=*) printf 'TryExec=%s\n' "$try_exec" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$HERE/$NAME.desktop" > "$tmp"
chmod 644 "$tmp"
mv "$tmp" "$entry"  # atomic: a launcher never reads half a file
trap - EXIT

refresh_caches
echo "Installed $entry"
echo "  opens: $binary"
echo "  icons: $ICONS/<size>/apps/$NAME.png"
echo "Find \"Review Sentiment\" in your application launcher (log out and in if it does not show yet)."
