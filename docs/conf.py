"""Sphinx configuration of the sklstm documentation.

Build with ``sphinx-build -W -b html . _build/html`` from this folder.  The
build works offline: intersphinx inventories that cannot be fetched only
leave their cross-references unresolved (see ``_quiet_offline_intersphinx``).
Set ``SKLSTM_DOCS_PLOT=0`` to skip running the gallery examples.
"""

import logging
import os
from datetime import date

from docutils import nodes

import sklstm

# -- Project -----------------------------------------------------------------
project = "sklstm"
author = "The sklstm developers"
copyright = f"{date.today().year}, {author}"
release = sklstm.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# guide/ holds pages included by preprocessing.rst, not built on their own
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "guide"]
# Single backquotes, as scikit-learn's inherited docstrings use them.
default_role = "literal"

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True  # stub pages go to generated/ (git-ignored)
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

# -- intersphinx --------------------------------------------------------------
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
}
intersphinx_timeout = 5

# -- sphinx-gallery -----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "plot_gallery": os.environ.get("SKLSTM_DOCS_PLOT", "1") != "0",
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sklstm",),
    "remove_config_comments": True,
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklstm {release}"
html_theme_options = {
    "navigation_with_keys": False,
    # The right-hand sidebar is the one table of contents of a page (pages
    # have no ``.. contents::`` of their own): sections and subsections.
    "show_toc_level": 2,
    "navigation_depth": 2,
}
# The left sidebar lists every page of the site (_templates/sidebar-site-nav),
# not only those below the current top-level page, which is nothing on
# single-page sections such as the user guide.
html_sidebars = {"**": ["sidebar-collapse", "sidebar-site-nav"]}
# Methods in the right-hand contents read ``fit()``, not ``LSTMClassifier.fit()``;
# the CSS lets any long name wrap there instead of being cut.
toc_object_entries_show_parents = "hide"
html_static_path = ["_static"]
html_css_files = ["sklstm.css"]


# -- Offline builds -------------------------------------------------------------
class _OfflineIntersphinxFilter(logging.Filter):
    """Turn "failed to reach any of the inventories" into an info message.

    Sphinx logs that message as an untyped warning, which
    ``suppress_warnings`` cannot select, so ``-W`` would fail every build
    on a machine without network.  Links to those projects are then simply
    left unresolved.
    """

    def filter(self, record):
        if record.levelno == logging.WARNING and str(record.msg).startswith(
            "failed to reach any of the inventories"
        ):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.nonl = False  # end the line, as the warning would have
        return True


def _quiet_offline_intersphinx():
    # Sphinx prefixes its logger names with "sphinx."; the intersphinx
    # logger is "sphinx.ext.intersphinx" (Sphinx 7 to 9).
    logger = logging.getLogger("sphinx.sphinx.ext.intersphinx")
    if not any(isinstance(f, _OfflineIntersphinxFilter) for f in logger.filters):
        logger.addFilter(_OfflineIntersphinxFilter())


# -- Inherited scikit-learn docstrings -------------------------------------------
# Members inherited from scikit-learn (get_metadata_routing, set_fit_request,
# ...) refer to labels and glossary terms of scikit-learn's own docs.  With
# network, intersphinx resolves them; offline, the handler below links glossary
# terms and known labels to scikit-learn's site and renders any other such
# reference as plain text, instead of warning.
_SKLEARN_URL = "https://scikit-learn.org/stable/"
_SKLEARN_LABELS = {"metadata_routing": "metadata_routing.html"}


def _resolve_sklearn_references(app, env, node, contnode):
    if node.get("refdomain") != "std" or node.get("reftype") not in ("ref", "term"):
        return None
    if "docstring of sklearn." not in (node.source or ""):
        return None  # our own text: keep the warning
    target = node.get("reftarget", "")
    if node["reftype"] == "term":
        page = "glossary.html#term-" + nodes.make_id(target)
    else:
        page = _SKLEARN_LABELS.get(target)
    if page is None:
        return contnode
    return nodes.reference("", "", contnode, internal=False, refuri=_SKLEARN_URL + page)


def setup(app):
    _quiet_offline_intersphinx()
    app.connect("missing-reference", _resolve_sklearn_references)
