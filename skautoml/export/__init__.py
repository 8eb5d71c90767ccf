"""Export a fitted pipeline as a standalone Python script (step 7 of the data flow).

:func:`pipeline_to_source` renders an estimator as a constructor call and the
imports it needs; :func:`export_pipeline` wraps that in a complete script with a
command line. Source is produced only from the fitted objects, by walking
``get_params``; nothing is evaluated.
"""

from ._source import ExportError, export_pipeline, pipeline_to_source

__all__ = ["ExportError", "export_pipeline", "pipeline_to_source"]
