"""Serving: the gRPC server, its listener, go-plugin's side services and the process lifecycle.

`serve()` is what a provider's executable runs when Terraform launches it. It negotiates the
protocol, listens on a unix socket in a fresh 0700 directory (see `transport`: never on
unverified TCP where unix sockets exist), serves TLS with an ephemeral certificate when
Terraform asks for it, prints the handshake line, and exits promptly on
`plugin.GRPCController/Shutdown`, on SIGTERM, or when Terraform itself goes away.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from provider.plugin import handshake, transport
from provider.plugin import logging as plugin_logging
from provider.plugin.transport import Listener, TransportError

if TYPE_CHECKING:
    from provider.plugin.core import ProviderCore
    from provider.plugin.resource import Provider

__all__ = ["WORKERS_ENV", "Listener", "RunningServer", "TransportError", "serve", "start_server"]

log = logging.getLogger("provider.plugin")

WORKERS_ENV = "PLUGIN_GRPC_WORKERS"
DEFAULT_WORKERS = 16  # Terraform runs up to 10 operations at once by default
MAX_MESSAGE = 256 * 1024 * 1024
PARENT_POLL_SECONDS = 1.0


@dataclass
class RunningServer:
    """A started server and what is needed to stop it."""

    server: Any
    listener: Listener
    protocol_version: int
    cert_der: bytes | None
    core: futures.Future[ProviderCore]
    handlers: _DeferredHandlers
    shutdown: threading.Event = field(default_factory=threading.Event)

    def load_core(self, provider_factory: Callable[[], Provider], background: bool) -> None:
        """Import the provider and build its core; RPCs wait until this is done."""

        def load() -> None:
            if not self.handlers.ready:
                try:
                    self.handlers.resolve(
                        _service_handlers(self.protocol_version, self.core, self.shutdown)
                    )
                except BaseException as e:
                    log.error("cannot load the gRPC services: %s", e, exc_info=True)
                    self.handlers.fail(e)
            try:
                from provider.plugin.core import ProviderCore

                self.core.set_result(ProviderCore(provider_factory()))
            except BaseException as e:
                log.error("cannot load the provider: %s", e, exc_info=True)
                self.core.set_exception(e)

        if background:
            threading.Thread(target=load, name="load-provider", daemon=True).start()
        else:
            load()

    def clean_up_after_others(self) -> None:
        """Once the provider is loaded, remove socket directories of killed providers.

        It runs off the start-up path (after the handshake line and the provider's imports);
        only the parent of our own socket directory is looked at.
        """
        if self.listener.cleanup_dir is None:
            return
        parent = os.path.dirname(self.listener.cleanup_dir)

        def clean(_: object) -> None:
            for directory in transport.remove_stale_dirs(parent):
                log.debug("removed the stale socket directory %s", directory)

        self.core.add_done_callback(clean)

    def stop(self, grace: float | None = 0.5) -> None:
        """Stop serving and remove the socket directory."""
        self.server.stop(grace).wait()
        if self.listener.cleanup_dir:
            transport.remove_socket_dir(self.listener.cleanup_dir)


def _workers() -> int:
    raw = os.environ.get(WORKERS_ENV, "")
    return max(10, int(raw)) if raw.isdigit() else DEFAULT_WORKERS


def _bind(server: Any, credentials: Any, target: str) -> int:
    try:
        if credentials is None:
            return int(server.add_insecure_port(target))
        return int(server.add_secure_port(target, credentials))
    except RuntimeError:
        return 0


def _side_services(shutdown: threading.Event) -> tuple[Any, ...]:
    """Handlers of go-plugin's controller and stdio services and of the health service."""
    import grpc
    from grpc_health.v1 import health_pb2

    from provider.plugin.proto import (
        grpc_controller_pb2,
        grpc_controller_pb2_grpc,
        grpc_stdio_pb2_grpc,
    )
    from provider.plugin.protocol import generic_handler

    class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
        def Shutdown(self, request: Any, context: Any) -> Any:
            log.debug("received Shutdown from Terraform")
            shutdown.set()
            return grpc_controller_pb2.Empty()

    class Stdio(grpc_stdio_pb2_grpc.GRPCStdioServicer):
        def StreamStdio(self, request: Any, context: Any) -> Any:
            # Nothing is mirrored: logs already reach Terraform through stderr.
            return iter(())

    def check(request: Any, context: Any) -> Any:
        # go-plugin's clients ask for the service "plugin"; "" means the server as a whole.
        if request.service in ("", "plugin"):
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")

    controller = generic_handler(
        grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server, Controller()
    )
    stdio = generic_handler(grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server, Stdio())
    # grpcio-health-checking's servicer module pulls in asyncio; the one RPC go-plugin uses
    # is served directly from its messages instead.
    health = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health",
        {
            "Check": grpc.unary_unary_rpc_method_handler(
                check,
                request_deserializer=health_pb2.HealthCheckRequest.FromString,
                response_serializer=health_pb2.HealthCheckResponse.SerializeToString,
            )
        },
    )
    return controller, stdio, health


class _IdentityInBackground:
    """Makes the TLS identity on a thread while the main thread imports grpc and the provider."""

    def __init__(self) -> None:
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tls-identity", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            from provider.plugin.tls import make_identity

            self._result = make_identity()
        except BaseException as e:  # re-raised on the main thread
            self._error = e

    def get(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


class _DeferredHandlers:
    """The server's RPC handlers, built on the loader thread after the handshake line.

    The protocol adapter and go-plugin's side services import the generated stubs and the
    protobuf runtime (~80 ms together); building them after the handshake lets that cost
    overlap Terraform's own connection set-up. A call that arrives earlier waits here.
    """

    def __init__(self) -> None:
        self._handlers: futures.Future[tuple[Any, ...]] = futures.Future()
        # The handlers once resolved: every call asks, and reading the future takes its lock.
        self._resolved: tuple[Any, ...] | None = None

    @property
    def ready(self) -> bool:
        return self._handlers.done()

    def resolve(self, handlers: tuple[Any, ...]) -> None:
        self._handlers.set_result(handlers)
        self._resolved = handlers

    def fail(self, error: BaseException) -> None:
        self._handlers.set_exception(error)

    def service(self, handler_call_details: Any) -> Any:
        handlers = self._resolved
        if handlers is None:
            try:
                handlers = self._handlers.result()
            except BaseException:
                return None  # the load failure is logged; the call gets UNIMPLEMENTED
        for handler in handlers:
            found = handler.service(handler_call_details)
            if found is not None:
                return found
        return None


def _service_handlers(
    protocol_version: int, core: futures.Future[ProviderCore], shutdown: threading.Event
) -> tuple[Any, ...]:
    """Handlers of tfplugin`protocol_version`.Provider and of go-plugin's side services."""
    if protocol_version == 6:
        from provider.plugin import v6 as adapter
    else:
        from provider.plugin import v5 as adapter  # type: ignore[no-redef]
    return (adapter.handler(core), *_side_services(shutdown))


def start_server(
    provider_factory: Callable[[], Provider],
    *,
    protocol_version: int,
    client_cert_pem: str | None,
    defer_provider: bool = False,
) -> RunningServer:
    """Start a gRPC server for `protocol_version`, bind its listener, load the provider.

    TLS is served when `client_cert_pem` is given (Terraform's AutoMTLS), plaintext otherwise.
    With `defer_provider` the provider is not loaded yet: call `load_core()` (serve does so
    right after the handshake line, so the provider's imports overlap Terraform connecting).
    """
    identity_job = _IdentityInBackground() if client_cert_pem else None
    import grpc

    core: futures.Future[ProviderCore] = futures.Future()
    credentials = None
    cert_der = None
    if identity_job is not None:
        identity = identity_job.get()
        credentials = grpc.ssl_server_credentials(
            [(identity.key_pem, identity.cert_pem)], root_certificates=None
        )
        cert_der = identity.cert_der
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="rpc"),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.so_reuseport", 0),
        ],
    )
    handlers = _DeferredHandlers()
    running = RunningServer(server, Listener("", ""), protocol_version, cert_der, core, handlers)
    if not defer_provider:
        handlers.resolve(_service_handlers(protocol_version, core, running.shutdown))
    server.add_generic_rpc_handlers((handlers,))
    group = transport.resolve_group()
    running.listener = transport.listen(lambda target: _bind(server, credentials, target))
    server.start()
    transport.share_with_group(running.listener, group)
    if not defer_provider:
        running.load_core(provider_factory, background=False)
    return running


def _watch_parent(shutdown: threading.Event, parent: int) -> None:
    """Exit when Terraform (`parent`, noted at start-up) dies, so no orphan outlives it."""

    def watch() -> None:
        # The first check is immediate: Terraform may have died while we were starting.
        while os.getppid() == parent:
            if shutdown.wait(PARENT_POLL_SECONDS):
                return
        log.warning("Terraform (pid %d) went away; exiting", parent)
        shutdown.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _exit_now(running: RunningServer, code: int) -> None:
    running.stop(grace=0.5)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    # Skip interpreter teardown (joining grpc's threads can take a while); Terraform is
    # counting, and every launch of a command pays for it.
    os._exit(code)


def serve(provider_factory: Callable[[], Provider], name: str | None = None) -> None:
    """Run the go-plugin handshake and serve until Terraform says Shutdown; never returns."""
    if not handshake.has_magic_cookie():
        raise SystemExit(1)
    parent = os.getppid()
    plugin_logging.configure()
    if name:
        log.debug("starting provider %s", name)
    # Anything written to fd 1 before or after the handshake line would break the launch or
    # confuse Terraform, so stdout is pointed at stderr and only the handshake line goes to
    # the real stdout.
    sys.stdout.flush()
    real_stdout = os.dup(1)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Terraform owns Ctrl-C; it sends Stop
    try:
        version = handshake.negotiate()
        running = start_server(
            provider_factory,
            protocol_version=version,
            client_cert_pem=os.environ.get("PLUGIN_CLIENT_CERT") or None,
            defer_provider=True,
        )
    except (handshake.HandshakeError, TransportError) as e:
        _refuse_to_start(real_stdout, str(e))
    except Exception as e:  # a bug or a broken install: still one line, not a traceback
        log.error("cannot start: %s", e, exc_info=True)
        _refuse_to_start(real_stdout, f"{name or 'the provider'} cannot start: {e}")
    line = handshake.handshake_line(
        version, running.listener.network, running.listener.address, running.cert_der
    )
    os.write(real_stdout, (line + "\n").encode())
    os.close(real_stdout)
    running.load_core(provider_factory, background=True)
    running.clean_up_after_others()
    log.debug(
        "serving protocol %d on %s %s", version, running.listener.network, running.listener.address
    )
    # A plain `kill` stops the provider cleanly too, so its socket directory is removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: running.shutdown.set())
    _watch_parent(running.shutdown, parent)
    running.shutdown.wait()
    _exit_now(running, 0)


def _refuse_to_start(real_stdout: int, message: str) -> NoReturn:
    """Exit 1 with `message` as the one stdout line (Terraform shows it in its launch error)."""
    line = " ".join(message.split())  # exactly one line, whatever the message held
    os.write(real_stdout, f"{line}\n".encode())
    log.error("%s", line)
    for handler in logging.getLogger().handlers:
        handler.flush()
    raise SystemExit(1)


def serve_debug(
    provider_factory: Callable[[], Provider], source_address: str, out: Any = None
) -> None:
    """Serve without Terraform (plaintext) and print the TF_REATTACH_PROVIDERS to export.

    Runs until Ctrl-C; Terraform does not stop a provider reattached with `Test: true`.
    """
    out = out or sys.stdout
    plugin_logging.configure(level=plugin_logging.level_from_env() if _tf_log_set() else None)
    version = handshake.negotiate(
        {k: v for k, v in os.environ.items() if k != "PLUGIN_PROTOCOL_VERSIONS"}
    )
    try:
        running = start_server(provider_factory, protocol_version=version, client_cert_pem=None)
    except TransportError as e:
        sys.stderr.write(f"{e}\n")
        raise SystemExit(1) from None
    running.clean_up_after_others()
    reattach = {
        source_address: {
            "Protocol": "grpc",
            "ProtocolVersion": version,
            "Pid": os.getpid(),
            "Test": True,
            "Addr": {"Network": running.listener.network, "String": running.listener.address},
        }
    }
    import json

    value = json.dumps(reattach, separators=(",", ":"))
    out.write(
        f"Provider {source_address} serving protocol {version}. In another shell run:\n\n"
        f"    export TF_REATTACH_PROVIDERS='{value}'\n\n"
        "then use terraform as usual. Ctrl-C stops the provider.\n"
    )
    out.flush()
    stopped = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stopped.wait(0.5) and not running.shutdown.is_set():
        pass
    running.stop(grace=1)


def _tf_log_set() -> bool:
    return bool(os.environ.get("TF_LOG") or os.environ.get("TF_LOG_PROVIDER"))
