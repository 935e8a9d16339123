"""A TCP proxy between the bot and Redis that misbehaves on demand, as a network does: added
latency, connections reset (RST), or a black hole that carries nothing until it heals (TCP then
delivers what was held, late, as a real network's retransmissions would)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from enum import Enum

CHUNK = 65_536


class Weather(Enum):
    CLEAR = "clear"
    LATENCY = "latency"
    RESET = "reset"
    BLACK_HOLE = "black hole"


class FaultProxy:
    def __init__(self, target_port: int, *, latency_seconds: float = 0.3) -> None:
        self.target_port = target_port
        self.latency_seconds = latency_seconds
        self.weather = Weather.CLEAR
        self.port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connected, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.set(Weather.RESET)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def set(self, weather: Weather) -> None:
        """Change the weather; RESET also cuts every connection open now."""
        self.weather = weather
        if weather is Weather.BLACK_HOLE:
            self._flowing.clear()
        else:
            self._flowing.set()
        if weather is Weather.RESET:
            for writer in list(self._writers):
                _reset(writer)

    async def _connected(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self.weather is Weather.RESET:
            _reset(client_writer)
            return
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            _reset(client_writer)
            return
        self._writers |= {client_writer, server_writer}
        try:
            await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))
        finally:
            for writer in (client_writer, server_writer):
                self._writers.discard(writer)
                writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while chunk := await reader.read(CHUNK):
                await self._flowing.wait()
                if self.weather is Weather.LATENCY:
                    await asyncio.sleep(self.latency_seconds)
                if self.weather is Weather.RESET or writer.is_closing():
                    return
                writer.write(chunk)
                await writer.drain()
        writer.close()  # one side ended: so does the other, as one TCP connection through a proxy would


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST, not FIN: the peer sees 'connection reset', as when a middlebox drops state."""
    if writer.is_closing():
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
