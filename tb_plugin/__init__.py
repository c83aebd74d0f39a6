"""Run Groups: a TensorBoard plugin that groups runs by their names and metadata.

Importing this package is cheap and never imports TensorFlow: TensorBoard loads it
at start-up through the ``tensorboard_plugins`` entry point.
"""

from tb_plugin.naming import get_run_logdir, parse_run_name

__version__ = "0.1.0"

__all__ = ["__version__", "get_run_logdir", "parse_run_name"]
