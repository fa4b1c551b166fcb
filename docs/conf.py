"""Sphinx configuration of the sklstm documentation.

Build with ``sphinx-build -W -b html . _build/html`` from this folder.  The
build works offline: intersphinx inventories that cannot be fetched only
leave their cross-references unresolved (see ``_quiet_offline_intersphinx``).
"""

import logging
from datetime import date

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
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
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
    "plot_gallery": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "reference_url": {"sklstm": None},
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sklstm",),
    "remove_config_comments": True,
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklstm {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}


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
        return True


def _quiet_offline_intersphinx():
    # Sphinx prefixes its logger names with "sphinx."; the intersphinx
    # logger is "sphinx.ext.intersphinx" (Sphinx 7 to 9).
    logger = logging.getLogger("sphinx.sphinx.ext.intersphinx")
    if not any(isinstance(f, _OfflineIntersphinxFilter) for f in logger.filters):
        logger.addFilter(_OfflineIntersphinxFilter())


def setup(app):
    _quiet_offline_intersphinx()
