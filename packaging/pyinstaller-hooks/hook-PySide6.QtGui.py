"""Replaces PyInstaller's own QtGui hook: collect QtGui, but only the Qt plugins the app uses.

PyInstaller collects every plugin type QtGui can load (image formats, SVG icon engines, the GTK
theme, EGL, touch input, VNC...) and then every system library those plugins link to. Choosing
here, before that dependency walk, keeps the libraries of dropped plugins out of the app too.
"""

from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

# Plugin folder -> plugin files kept (None: all of them). Any folder not named here is dropped.
KEPT_PLUGINS = {
    "platforms": {
        # Linux: X11, which Wayland desktops also run apps on (XWayland); headless for tests.
        # Native Wayland (libqwayland and its four plugin folders, 2 MB with libQt6WaylandClient)
        # is left out to stay within the 150 MB budget: Qt falls back to xcb by itself.
        "libqxcb.so", "libqoffscreen.so", "libqminimal.so",
        "qwindows.dll", "qoffscreen.dll", "qminimal.dll",  # Windows
        "libqcocoa.dylib", "libqoffscreen.dylib", "libqminimal.dylib",  # macOS
    },
    # Native file dialogs through the desktop portal. The GTK theme stays out: it drags in the
    # build machine's pango, cairo and gdk-pixbuf, and needs the user's own GTK anyway.
    "platformthemes": {"libqxdgdesktopportal.so"},
    "platforminputcontexts": None,  # compose keys and input methods, for typing reviews
}


def kept(destination: str, filename: str) -> bool:
    parts = PurePath(destination).parts
    if "plugins" not in parts or parts[-1] == "plugins":
        return True
    folder = parts[parts.index("plugins") + 1]
    if folder not in KEPT_PLUGINS:
        return False
    names = KEPT_PLUGINS[folder]
    return names is None or PurePath(filename).name in names


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if kept(dest, src)]
