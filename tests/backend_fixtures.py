"""A real TensorBoard WSGI app that can reload and be closed, under either loader."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from tensorboard.backend import application
from tensorboard.backend.event_processing import data_provider as mux_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.data import server_ingester
from tensorboard.plugins import base_plugin
from tensorboard.util import grpc_util
from werkzeug import test as werkzeug_test

from tb_plugin import plugin

PREFIX = "/data/plugin/rungroups"


class App:
    """TensorBoard's real WSGI app with our plugin, over the Python or the Rust loader.

    The Rust data server reloads every second by itself; `reload()` makes the
    Python loader's multiplexer pick up new runs and data, as TensorBoard's
    reload thread does.
    """

    def __init__(self, logdir: str, loader: str):
        self.loader = loader
        self._ingester = None
        if loader == "python":
            self.multiplexer = plugin_event_multiplexer.EventMultiplexer()
            self.multiplexer.AddRunsFromDirectory(logdir)
            self.multiplexer.Reload()
            provider = mux_provider.MultiplexerDataProvider(self.multiplexer, logdir)
        else:
            self._ingester = server_ingester.SubprocessServerDataIngester(
                server_ingester.get_server_binary(),
                logdir,
                reload_interval=1,
                channel_creds_type=grpc_util.ChannelCredsType.LOCAL,
            )
            self._ingester.start()
            provider = self._ingester.data_provider
        self.logdir = logdir
        context = base_plugin.TBContext(
            logdir=logdir, data_provider=provider, flags=SimpleNamespace(logdir=logdir)
        )
        self.plugin = plugin.RunGroupsLoader().load(context)
        self.client = werkzeug_test.Client(
            application.TensorBoardWSGI([self.plugin], data_provider=provider)
        )

    def reload(self) -> None:
        if self.loader == "python":
            self.multiplexer.AddRunsFromDirectory(self.logdir)
            self.multiplexer.Reload()

    def get(self, route: str, **query: Any):
        return self.client.get(PREFIX + route, query_string=query)

    def json(self, route: str, **query: Any) -> Any:
        response = self.get(route, **query)
        assert response.status_code == 200, (route, query, response.get_data(as_text=True))
        return response.get_json()

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 60) -> Any:
        """Reloads and polls until `predicate()` is truthy."""
        deadline = time.time() + timeout
        while True:
            self.reload()
            try:
                value = predicate()
            except AssertionError:
                value = None
            if value or time.time() > deadline:
                assert value, "timed out waiting for the loader"
                return value
            time.sleep(0.3)

    def close(self) -> None:
        if self._ingester is not None:
            # The data server runs with --die-after-stdin.
            self._ingester._stdin_handle.close()


@contextlib.contextmanager
def serving(logdir: str, loader: str, n_runs: int) -> Iterator[App]:
    """An `App` over `logdir` once `/runs` lists `n_runs` runs; closed afterwards."""
    app = App(str(logdir), loader)
    try:
        app.wait_for(lambda: len(app.json("/runs")["runs"]) == n_runs)
        yield app
    finally:
        app.close()
