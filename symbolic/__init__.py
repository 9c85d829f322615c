"""symgen: symbolic music (MIDI and ABC) tokenization, training and generation.

Importing this package is cheap: torch and the models load only when a task needs them.
"""

from symbolic.errors import SymgenError

__version__ = "0.1.0"
__all__ = ["SymgenError", "__version__"]
