"""Sphinx extension: keep the built book free of remote scripts and duplicate script tags.

Jupyter Book 1 always loads sphinx-thebe, which adds an inline script naming thebe's CDN URL
(`const THEBE_JS_URL = "https://unpkg.com/..."`) and `sphinx-thebe.js`, which fetches that URL
when a reader presses a launch button. This book has no launch buttons (it is read offline),
and the inline script is registered twice, so every page logged
"Identifier 'THEBE_JS_URL' has already been declared". This extension drops both scripts, and
any exact duplicate script tag, from every page.
"""


def _is_thebe(script):
    filename = str(getattr(script, "filename", None) or script)
    body = (getattr(script, "attributes", None) or {}).get("body", "")
    return "sphinx-thebe" in filename or "THEBE_JS_URL" in body


def _key(script):
    attributes = getattr(script, "attributes", None) or {}
    return str(getattr(script, "filename", None) or script), tuple(sorted(attributes.items()))


def drop_remote_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        if _is_thebe(script) or _key(script) in seen:
            continue
        seen.add(_key(script))
        kept.append(script)
    scripts[:] = kept


def setup(app):
    # run after every other html-page-context handler that adds scripts
    app.connect("html-page-context", drop_remote_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
