"""The application layer: one :class:`Lab` facade over a workspace for every use case the app and the
command line share (ingest and save versions, experiments, fit / register / retrain, serve lists with
A/B arms, audiences and segments, review scoring). Results are data (dataclasses, frames, numbers,
codes), never display sentences; the UI's locale catalogue turns codes into Chinese or English."""

from ..data.cleaning import CleaningOptions
from .experiment import ExperimentResult, protocol_dict, splitter_for
from .lab import Lab
from .names import generated_name, key_params
from .serving import ABState, Served

__all__ = [
    "Lab",
    "CleaningOptions",
    "ExperimentResult",
    "protocol_dict",
    "splitter_for",
    "generated_name",
    "key_params",
    "ABState",
    "Served",
]
