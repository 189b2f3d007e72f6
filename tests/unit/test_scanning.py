"""The scanners on real files: picklescan on pickles (plain, PyTorch zip, numpy object
arrays), detect-secrets on text, the limited child, and the ClamAV client against a small
clamd that speaks the real INSTREAM protocol on a unix socket and on loopback TCP."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import socketserver
import struct
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbopen.scanning import child, clamav, scanners

pytestmark = pytest.mark.once  # no database: one run (SQLite) says it all

AWS_LINE = 'aws_access_key_id = "AKIAZ3MSJV4WWNKWW5FG"'


class Evil:
    """Unpickling this would run a shell command; the scanners only ever read its opcodes."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def _evil_bytes() -> bytes:
    return pickle.dumps(Evil())


def test_plain_pickle_with_os_system_is_dangerous(tmp_path: Path) -> None:
    path = tmp_path / "blob"  # stored objects have no extension: the repository name counts
    path.write_bytes(_evil_bytes())
    scan = scanners.scan_pickle(path, "weights/model.pkl")
    assert scan is not None
    assert scan["highestSafetyLevel"] == "dangerous"
    assert {"module": os.system.__module__, "name": "system", "safety": "dangerous"} in scan[
        "imports"
    ]


def test_pickle_inside_a_pytorch_zip_is_found(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", _evil_bytes())
        archive.writestr("archive/data/0", b"\0" * 64)
    scan = scanners.scan_pickle(path, "pytorch_model.bin")
    assert scan is not None and scan["highestSafetyLevel"] == "dangerous"


def test_numpy_object_array_is_scanned(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    buffer = io.BytesIO()
    np.save(buffer, np.array([Evil()], dtype=object), allow_pickle=True)
    path = tmp_path / "blob"
    path.write_bytes(buffer.getvalue())
    scan = scanners.scan_pickle(path, "arr.npy")
    assert scan is not None and scan["highestSafetyLevel"] == "dangerous"


def test_safe_pickle_and_raw_bin(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(pickle.dumps({"a": [1, 2.0, "x"]}))
    assert scanners.scan_pickle(path, "state.pkl") is None  # no import at all
    path.write_bytes(os.urandom(4096))  # raw float weights named .bin: not a pickle
    assert scanners.scan_pickle(path, "weights.bin") is None
    assert scanners.is_pickle_name("a/B.PTH") and not scanners.is_pickle_name("m.safetensors")


def test_secrets_are_reported_by_line_and_kind_never_value() -> None:
    digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    data = f"# settings\n{AWS_LINE}\nhash = '{digest}'\n"  # a hash is no secret
    hits = scanners.scan_secrets(data.encode())
    assert hits == [scanners.SecretHit(2, "AWS Access Key")]
    described = scanners.describe_hits("conf/settings.py", hits)
    assert described == "conf/settings.py:2 (AWS Access Key)"
    assert "AKIA" not in described
    assert scanners.scan_secrets(b"\0binary " + AWS_LINE.encode()) == []


def test_child_scans_and_survives_its_limits(tmp_path: Path) -> None:
    evil = tmp_path / "evil"
    evil.write_bytes(_evil_bytes())
    [answer] = child.run([{"path": str(evil), "name": "evil.pkl"}])
    assert answer["pickle"]["highestSafetyLevel"] == "dangerous"
    # 16 MiB of address space: the child either dies (ChildFailed) or, when the limit strikes
    # inside the scan (a MemoryError there), answers the file's failure with the reason. Which
    # one depends on where the interpreter first asks for memory; never a scan result.
    try:
        [limited] = child.run(
            [{"path": str(evil), "name": "evil.pkl"}], limit={"memory": 16 << 20, "cpu": 5}
        )
    except child.ChildFailed:
        return
    assert "pickle" not in limited and "memory" in limited.get("error", ""), limited


# A fake clamd ---------------------------------------------------------------------------------

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class _Clamd(socketserver.BaseRequestHandler):
    """Reads ``zINSTREAM\\0`` and length-framed chunks up to the zero chunk, as clamd does."""

    def handle(self) -> None:
        sock = self.request

        def exactly(n: int) -> bytes:
            data = b""
            while len(data) < n:
                piece = sock.recv(n - len(data))
                if not piece:
                    raise ConnectionError("short read")
                data += piece
            return data

        command = b""
        while not command.endswith(b"\0"):
            command += exactly(1)
        if command != b"zINSTREAM\0":
            sock.sendall(b"UNKNOWN COMMAND\0")
            return
        body = b""
        while size := struct.unpack(">I", exactly(4))[0]:
            body += exactly(size)
        found = b"Eicar-Signature FOUND" if EICAR in body else b"OK"
        sock.sendall(b"stream: " + found + b"\0")


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True


@contextlib.contextmanager
def _serve(server: socketserver.BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def clamd_unix(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "clamd.sock")
    with _serve(_UnixServer(path, _Clamd)):
        yield path


@pytest.fixture
def clamd_tcp() -> Iterator[str]:
    server = _TcpServer(("127.0.0.1", 0), _Clamd)
    with _serve(server):
        yield f"tcp:127.0.0.1:{server.server_address[1]}"


def test_clamav_instream_over_unix_socket(clamd_unix: str) -> None:
    clean = clamav.scan_stream(clamd_unix, io.BytesIO(b"hello" * 50_000))  # several chunks
    assert clean.as_hub() == {"virusFound": False, "virusNames": None}
    infected = clamav.scan_stream(clamd_unix, io.BytesIO(b"junk" + EICAR))
    assert infected.as_hub() == {"virusFound": True, "virusNames": ["Eicar-Signature"]}


def test_clamav_over_loopback_tcp_and_unreachable(clamd_tcp: str, tmp_path: Path) -> None:
    assert clamav.scan_stream(clamd_tcp, io.BytesIO(EICAR)).virus_names == ["Eicar-Signature"]
    with pytest.raises(clamav.ClamavError):
        clamav.scan_stream(str(tmp_path / "absent.sock"), io.BytesIO(b"x"))


def test_the_memory_limit_is_named_whatever_error_it_surfaces_as() -> None:
    # Seen in CI: under the 16 MiB limit, a module picklescan imports lazily could not map
    # its shared object, and the answer was an ImportError instead of the memory reason.
    mapped = ImportError("/usr/lib/_socket.so: failed to map segment from shared object")
    assert child.out_of_memory(mapped)
    assert child.out_of_memory(OSError(12, "Cannot allocate memory"))
    assert not child.out_of_memory(ImportError("No module named 'torch'"))
    assert not child.out_of_memory(ValueError("failed to map segment"))
