"""Export a fitted pipeline as a standalone Python script (step 7 of the data flow).

:func:`pipeline_to_source` renders an estimator as a constructor call and the
imports it needs; :func:`export_pipeline` wraps that in a complete script with a
command line. Source is produced only from the fitted objects, by walking
``get_params``; nothing is evaluated. :class:`ExportError` lives in
:mod:`skautoml.exceptions` and is importable from here too.

The modules, from the bottom up: ``_layout`` (layout nodes and literals),
``_inline`` (classes the script defines itself), ``_params`` (constructor
arguments and defaults), ``_imports`` (the script's import statements),
``_source`` (the renderer) and ``_script`` (the complete script). A module
imports only modules below it.
"""

from ..exceptions import ExportError
from ._script import export_pipeline, scoring_of
from ._source import pipeline_to_source

__all__ = ["ExportError", "export_pipeline", "pipeline_to_source", "scoring_of"]
