"""Small, fast models made from a fitted search estimator (step 7 of the data flow).

:func:`distill` trains a student on the teacher's soft predictions
(:mod:`._students` holds the student families, :mod:`._augment` the extra
rows); :func:`compress` adds int8 and pruned forms of the teacher's networks
(:mod:`skautoml.nets`) and keeps the smallest variant that scores within a
drop of the teacher. :class:`CompressMixin` makes both methods of the
estimators.
"""

from ._compress import Compression, compress
from ._distill import Distillation, distill
from ._measure import predict_ms_per_row
from ._mixin import CompressMixin
from ._students import STUDENTS

__all__ = [
    "STUDENTS",
    "CompressMixin",
    "Compression",
    "Distillation",
    "compress",
    "distill",
    "predict_ms_per_row",
]
