# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sphinx configuration: numpydoc API reference and a sphinx-gallery of examples."""

import os
from importlib import metadata

os.environ.setdefault("MPLBACKEND", "Agg")

project = "skactive"
author = "The skactive developers"
copyright = "2026, The skactive developers"
release = version = metadata.version("skactive")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
# Document fit and query on every sampler, not scikit-learn's own machinery.
autodoc_default_options = {
    "members": True,
    "inherited-members": True,
    "exclude-members": (
        "get_metadata_routing, set_fit_request, set_predict_request, set_output"
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = []
exclude_patterns = ["_build", "examples"]
html_theme = "alabaster"
html_theme_options = {
    "description": "Active learning on a budget, the scikit-learn way"
}

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "show_memory": False,
}
