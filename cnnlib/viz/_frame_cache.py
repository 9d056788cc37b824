"""An on-disk cache of explorer frames, so that a second Run All of a notebook is fast.

Every explorer renders all of its frames when it is displayed, for the kernel-free player of
the static book. Those PNG bytes depend only on what the render function computes, so they are
kept on disk and reused the next time the same explorer is displayed, in this kernel or the
next one. A frame is found under two keys:

- the *explorer key*: a hash of the render function's source, and of every value it can read
  that could change its picture: its default arguments, its closure variables and the notebook
  or module globals its code names (arrays by their bytes, functions by their source,
  recursively), together with the resolution, Matplotlib's settings (``rcParams``), the
  library's own source files (by name, size and modification time) and the versions of Python,
  NumPy, Matplotlib and Pillow;
- the *frame key*: a hash of one combination of slider values.

When any referenced value cannot be hashed reliably (an arbitrary object, a model), the explorer
is not cached at all: correctness first. A cached frame holds the same bytes that rendering
would give, so notebook outputs are the same with or without the cache.

Where: ``$CNNLIB_FRAME_CACHE`` if set to a directory; otherwise the user's cache directory
(``$XDG_CACHE_HOME/cnnlib/frames`` or ``~/.cache/cnnlib/frames`` on Linux,
``~/Library/Caches/cnnlib/frames`` on macOS, ``%LOCALAPPDATA%\\cnnlib\\frames`` on Windows).
``CNNLIB_FRAME_CACHE=off`` (or ``0``, ``false``, ``no``) turns the cache off, and so does
``explorer(..., cache=False)``. At most :data:`MAX_EXPLORERS` explorers are kept; the least
recently used go first.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import inspect
import os
import shutil
import sys
import types
from pathlib import Path, PurePath
from typing import Any, Callable

ENV_VAR = "CNNLIB_FRAME_CACHE"
OFF_VALUES = ("0", "off", "false", "no", "none", "disable", "disabled")
FORMAT = "cnnlib-frames-1"          # bump when the PNG encoding or the key layout changes
MAX_EXPLORERS = 200                  # explorer directories kept (least recently used go first)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

__all__ = ["cache_dir", "clear", "FrameStore", "store_for", "fingerprint", "Unhashable"]


class Unhashable(Exception):
    """A value the render function can read has no reliable hash: do not cache."""


# --------------------------------------------------------------------------------------------
# Where
# --------------------------------------------------------------------------------------------

def _user_cache_root() -> Path:
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    return base / "cnnlib" / "frames"


def cache_dir() -> Path | None:
    """The directory of the frame cache, or ``None`` when ``$CNNLIB_FRAME_CACHE`` turns it off."""
    setting = os.environ.get(ENV_VAR, "").strip()
    if setting.lower() in OFF_VALUES and setting:
        return None
    return Path(setting).expanduser() if setting else _user_cache_root()


def clear() -> int:
    """Delete every cached frame; return how many files were removed."""
    root = cache_dir()
    if root is None or not root.is_dir():
        return 0
    removed = 0
    for entry in root.iterdir():
        if entry.is_dir() and len(entry.name) == 64:        # an explorer directory
            removed += sum(1 for p in entry.iterdir() if p.is_file())
            shutil.rmtree(entry, ignore_errors=True)
    return removed


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------

def _code_names(code: types.CodeType) -> set[str]:
    """Names a code object (and the code nested in it) may look up as globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _code_digest(code: types.CodeType, feed: Callable[..., None]) -> None:
    """Hash a code object without its file name or line numbers (they change between kernels)."""
    feed("code", code.co_code, code.co_names, code.co_varnames, code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_digest(const, feed)
        else:
            feed("const", type(const).__name__, repr(const))


class _Hasher:
    """Feeds a value, and what it refers to, into one SHA-256 with a tag per kind.

    A compound value is hashed on its own and enters its parent as its digest, remembered by
    ``id`` for the duration of one :func:`fingerprint`: an object referred to twice costs one
    hash, aliasing does not change the result, and a cycle ends at a marker.
    """

    def __init__(self, memo: dict[int, str] | None = None, stack: set[int] | None = None):
        self.h = hashlib.sha256()
        self._memo = {} if memo is None else memo
        self._stack = set() if stack is None else stack

    def feed(self, *parts) -> None:
        for part in parts:
            if isinstance(part, bytes):
                data = part
            elif isinstance(part, (tuple, list)):
                data = repr(tuple(part)).encode()
            else:
                data = str(part).encode()
            self.h.update(len(data).to_bytes(8, "little"))
            self.h.update(data)

    def value(self, v: Any) -> None:
        if v is None or isinstance(v, (bool, int, float, complex, str)):
            self.feed(type(v).__name__, repr(v))
            return
        if isinstance(v, bytes):
            self.feed("bytes", v)
            return
        if isinstance(v, (range, slice, PurePath, enum.Enum)):
            self.feed(type(v).__qualname__, repr(v))
            return
        if isinstance(v, types.ModuleType):
            self.feed("module", v.__name__)
            return
        key = id(v)
        if key in self._memo:
            self.feed("ref", self._memo[key])
            return
        if key in self._stack:
            self.feed("cycle")
            return
        self._stack.add(key)
        try:
            child = _Hasher(self._memo, self._stack)
            child.compound(v)
        finally:
            self._stack.discard(key)
        self._memo[key] = digest = child.h.hexdigest()
        self.feed("ref", digest)

    def compound(self, v: Any) -> None:
        np = sys.modules.get("numpy")
        if np is not None and isinstance(v, (np.ndarray, np.generic)):
            if v.dtype.hasobject:
                raise Unhashable("an array of Python objects")
            a = np.ascontiguousarray(v)
            self.feed("ndarray", a.dtype.str, a.shape, a.tobytes())
            return
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(v, torch.Tensor):
            t = v.detach().cpu().contiguous()
            try:
                data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
            except (RuntimeError, TypeError) as exc:
                raise Unhashable(f"a tensor ({exc})") from None
            self.feed("tensor", str(t.dtype), tuple(t.shape), data)
            return
        if isinstance(v, (tuple, list)):
            self.feed(type(v).__name__, len(v))
            for item in v:
                self.value(item)
            return
        if isinstance(v, dict):
            self.feed("dict", len(v))
            for k, item in v.items():             # insertion order: what iteration sees
                self.value(k)
                self.value(item)
            return
        if isinstance(v, (set, frozenset)):
            digests = sorted(fingerprint(item) for item in v)   # iteration order may vary
            self.feed(type(v).__name__, digests)
            return
        if isinstance(v, functools.partial):
            self.feed("partial")
            self.value(v.func)
            self.value(v.args)
            self.value(v.keywords)
            return
        if isinstance(v, types.MethodType):
            self.feed("method")
            self.value(v.__func__)
            self.value(v.__self__)
            return
        if isinstance(v, types.FunctionType):
            if _installed(v):
                self.feed("named", v.__module__, v.__qualname__)   # versioned, not edited
            else:
                self.function(v)
            return
        if isinstance(v, (types.BuiltinFunctionType, type)) or (
                np is not None and isinstance(v, np.ufunc)):
            module = getattr(v, "__module__", None) or ""
            name = getattr(v, "__qualname__", None) or getattr(v, "__name__", "")
            if isinstance(v, type) and module == "__main__":
                self.feed("class", name, self.source(v))
            else:
                self.feed("named", module, name)
            return
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            self.feed("dataclass", type(v).__module__, type(v).__qualname__)
            for field in dataclasses.fields(v):
                self.feed(field.name)
                self.value(getattr(v, field.name))
            return
        raise Unhashable(f"a {type(v).__module__}.{type(v).__qualname__}")

    @staticmethod
    def source(obj) -> str:
        try:
            return inspect.getsource(obj)
        except (OSError, TypeError):
            raise Unhashable(f"no source for {obj!r}") from None

    def function(self, fn: types.FunctionType) -> None:
        """Source, defaults, closure and referenced globals of a Python function."""
        self.feed("function", fn.__module__, fn.__qualname__)
        try:
            self.feed(inspect.getsource(fn))
        except (OSError, TypeError):
            _code_digest(fn.__code__, self.feed)   # e.g. made by exec(): hash the bytecode
        self.value(fn.__defaults__)
        self.value(fn.__kwdefaults__)
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            self.feed("free", name)
            try:
                contents = cell.cell_contents
            except ValueError:                      # an empty cell (not yet assigned)
                self.feed("empty")
                continue
            self.value(contents)
        namespace = fn.__globals__
        for name in sorted(_code_names(fn.__code__)):
            if name in namespace:
                self.feed("global", name)
                self.value(namespace[name])


def _installed(fn: types.FunctionType) -> bool:
    """True for a function of an installed package or the standard library (not cnnlib, not
    the notebook): its code is fixed by the environment, so its name stands for it."""
    top = (fn.__module__ or "").partition(".")[0]
    if not top or top in ("__main__", "cnnlib"):
        return False
    module = sys.modules.get(top)
    path = getattr(module, "__file__", None) or ""
    if not path:
        return top in sys.builtin_module_names
    path = os.path.realpath(path)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return ("site-packages" in path or "dist-packages" in path
            or any(path.startswith(os.path.join(p, "lib")) for p in prefixes))


def fingerprint(value: Any) -> str:
    """SHA-256 hex digest of ``value`` and what it refers to; :class:`Unhashable` if unreliable."""
    hasher = _Hasher()
    hasher.value(value)
    return hasher.h.hexdigest()


@functools.lru_cache(maxsize=1)
def _versions() -> str:
    import matplotlib
    import numpy
    import PIL

    return (f"python {sys.version_info[:3]} numpy {numpy.__version__} matplotlib "
            f"{matplotlib.__version__} pillow {PIL.__version__}")


# rcParams that change no pixel of a figure rendered to PNG: Jupyter's inline backend turns
# ``interactive`` on after the first figure it shows, so a second Run All would otherwise miss
# every frame drawn before that point.
_NOT_DRAWN = ("backend", "backend_fallback", "interactive", "figure.max_open_warning",
              "savefig.directory", "toolbar", "webagg.")


def _style_stamp() -> str:
    """Matplotlib's settings (``rcParams``) that can change a picture: a notebook that changes
    a font size or a style changes every picture drawn after it."""
    import matplotlib

    text = repr(sorted((k, repr(v)) for k, v in matplotlib.rcParams.items()
                       if not k.startswith(_NOT_DRAWN)))
    return hashlib.sha256(text.encode()).hexdigest()


def _library_stamp() -> str:
    """Names, sizes and modification times of cnnlib's source files: any edit changes it."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".js", ".css") and "__pycache__" not in path.parts:
            st = path.stat()
            h.update(f"{path.relative_to(root)} {st.st_size} {st.st_mtime_ns}\n".encode())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------

class FrameStore:
    """The cached frames of one explorer: a directory of ``<frame key>.png`` files."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._ready = False

    @staticmethod
    def frame_key(values: dict[str, Any]) -> str:
        return fingerprint(tuple(values.items()))

    def get(self, key: str) -> bytes | None:
        try:
            data = (self.directory / f"{key}.png").read_bytes()
        except OSError:
            return None
        return data if data.startswith(PNG_SIGNATURE) else None

    def put(self, key: str, png: bytes) -> None:
        try:
            if not self._ready:
                fresh = not self.directory.exists()
                self.directory.mkdir(parents=True, exist_ok=True)
                if fresh:
                    _prune(self.directory.parent, keep=self.directory)
                self._ready = True
            path = self.directory / f"{key}.png"
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(png)
            os.replace(tmp, path)                   # atomic: a reader never sees half a file
        except OSError:
            pass                                    # a read-only or full disk: just no cache

    def touch(self) -> None:
        try:
            os.utime(self.directory)
        except OSError:
            pass


def _prune(root: Path, keep: Path) -> None:
    """Keep at most MAX_EXPLORERS explorer directories, dropping the least recently used."""
    try:
        dirs = [p for p in root.iterdir() if p.is_dir() and len(p.name) == 64 and p != keep]
        if len(dirs) < MAX_EXPLORERS:
            return
        dirs.sort(key=lambda p: p.stat().st_mtime)
        for old in dirs[:len(dirs) - MAX_EXPLORERS + 1]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass


def store_for(render: Callable, dpi: float, extra: Any = ()) -> FrameStore | None:
    """The frame store of an explorer drawing with ``render`` at ``dpi``, or ``None``.

    ``None`` when the cache is off or when ``render`` reads a value without a reliable hash.
    Computed when frames are about to be rendered, so that it sees the globals as they are.
    """
    root = cache_dir()
    if root is None:
        return None
    try:
        key = fingerprint((FORMAT, _versions(), _library_stamp(), _style_stamp(), float(dpi),
                           extra, render))
    except (Unhashable, RecursionError):
        return None
    store = FrameStore(root / key)
    if store.directory.exists():
        store.touch()
    return store
