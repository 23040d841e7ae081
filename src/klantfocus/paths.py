"""Where the shipped models live: in the installed package, or in the repo checkout."""

from __future__ import annotations

import os
from pathlib import Path

from .constants import MODELS_ENV_VAR


def models_dir() -> Path:
    """The models directory.

    ``$KLANTFOCUS_MODELS_DIR`` wins; then ``klantfocus/models`` inside an installed wheel;
    then ``models/`` of the source checkout (editable installs and the repo itself).
    """
    override = os.environ.get(MODELS_ENV_VAR)
    if override:
        return Path(override)
    packaged = Path(__file__).resolve().parent / "models"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "models"
