"""The end-to-end stacks' ports: workers of one parallel run never share one."""

from __future__ import annotations

import socket

from tests.e2e.conftest import _free_port, port_slice


def test_each_worker_has_its_own_ports():
    slices = [set(port_slice(f"gw{index}")) for index in range(8)]
    assert all(not (a & b) for i, a in enumerate(slices) for b in slices[i + 1 :])
    assert port_slice("master") == port_slice("gw0")
    assert max(port_slice("gw7")) < 32768  # below Linux's ephemeral ports, which the kernel hands out


def test_a_port_something_listens_on_is_not_handed_out():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", _free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        assert all(_free_port() != port for _ in range(len(port_slice("gw0"))))
