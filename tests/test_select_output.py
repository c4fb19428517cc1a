# Authors: The skactive developers
# SPDX-License-Identifier: BSD-3-Clause
"""``skactive select -o``: it writes its own output and damages nothing else."""

import os
import stat
import threading

import numpy as np
import pytest

import skactive.cli._select as select
from skactive import TypiClustSampler
from skactive.cli import main


@pytest.fixture
def features(tmp_path):
    X = np.random.RandomState(0).normal(size=(60, 3)).astype(np.float32)
    path = tmp_path / "emb.npy"
    np.save(path, X)
    return X, path


def expected_text(X, budget=3):
    rows = TypiClustSampler(random_state=0).fit(X).query(None, budget)
    return rows.tolist()


def out_rows(text):
    return [int(line.split(",")[1]) for line in text.strip().splitlines()[1:]]


def select_to(path, out, *extra):
    return main(["select", str(path), "--budget", "3", "-q", "-o", str(out), *extra])


@pytest.fixture
def umask():
    """Set the process umask inside a test; the old one comes back after."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.fixture
def no_fit(monkeypatch):
    """Fail the test if a sampler is fitted: checks must come before any work."""

    def refuse(self, X, y=None):
        raise AssertionError("the sampler was fitted")

    for cls in select.METHODS.values():
        monkeypatch.setattr(cls, "fit", refuse)


def test_new_file_gets_the_umask_mode(features, tmp_path, umask):
    X, path = features
    out = tmp_path / "picks.csv"
    umask(0o027)
    assert select_to(path, out) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out_rows(out.read_text()) == expected_text(X)
    umask(0o002)
    out.unlink()
    assert select_to(path, out) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o664


def test_existing_file_keeps_its_mode(features, tmp_path, umask):
    X, path = features
    out = tmp_path / "picks.csv"
    out.write_text("previous\n")
    out.chmod(0o664)
    umask(0o077)
    assert select_to(path, out) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o664
    assert out_rows(out.read_text()) == expected_text(X)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["emb.npy", "picks.csv"]


def test_dev_null_stays_a_device(features, tmp_path, capsys):
    _, path = features
    # First a private copy of /dev/null (root can make one): a regression then
    # fails here, before it could replace the system's /dev/null.
    private = tmp_path / "null"
    try:
        os.mknod(private, 0o666 | stat.S_IFCHR, os.stat("/dev/null").st_rdev)
    except (PermissionError, AttributeError):
        pass
    else:
        assert select_to(path, private) == 0
        assert stat.S_ISCHR(os.lstat(private).st_mode), "replaced a device"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert select_to(path, "/dev/null") == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not [p for p in os.listdir("/dev") if p.startswith(".null.")]
    assert capsys.readouterr().err == ""


def test_fifo_is_written_in_place(features, tmp_path):
    X, path = features
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    assert select_to(path, fifo) == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert out_rows(received[0]) == expected_text(X)


def test_symlink_stays_a_link_and_its_target_is_replaced(features, tmp_path, umask):
    X, path = features
    target = tmp_path / "real.csv"
    target.write_text("previous\n")
    target.chmod(0o644)
    link = tmp_path / "link.csv"
    link.symlink_to(target.name)
    umask(0o077)
    assert select_to(path, link) == 0
    assert link.is_symlink() and os.readlink(link) == "real.csv"
    assert out_rows(target.read_text()) == expected_text(X)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    # A dangling link: its target is created.
    target.unlink()
    assert select_to(path, link) == 0
    assert link.is_symlink() and out_rows(target.read_text()) == expected_text(X)


def test_output_that_is_an_input_is_refused(features, tmp_path, capsys, no_fit):
    _, path = features
    before = path.read_bytes()
    assert select_to(path, path) == 1
    err = capsys.readouterr().err
    assert err == f"skactive select: error: -o {path}: is the input file {path}\n"
    alias = tmp_path / "alias.npy"
    alias.symlink_to(path)
    assert select_to(path, alias) == 1
    assert "is the input file" in capsys.readouterr().err
    labeled = tmp_path / "done.txt"
    labeled.write_text("1\n")
    assert select_to(path, labeled, "--labeled", str(labeled)) == 1
    assert f"-o {labeled}: is the input file {labeled}" in capsys.readouterr().err
    assert path.read_bytes() == before and labeled.read_text() == "1\n"


@pytest.mark.parametrize(
    "out, message",
    [
        ("missing/picks.csv", "-o {d}/missing/picks.csv: folder {d}/missing does not"),
        (".", "-o {d}/.: is a directory"),
        ("sub/", "-o {d}/sub/: names a folder, not a file"),
    ],
)
def test_bad_destination_fails_before_any_work(
    features, tmp_path, capsys, no_fit, out, message
):
    _, path = features
    (tmp_path / "sub").mkdir()
    status = select_to(path, f"{tmp_path}/{out}")
    err = capsys.readouterr().err
    assert status == 1
    assert err == f"skactive select: error: {message.format(d=tmp_path)}" + (
        " exist\n" if "missing" in out else "\n"
    )
    assert ".tmp" not in err


def test_dash_is_standard_output(features, capsys):
    X, path = features
    assert select_to(path, "-") == 0
    assert out_rows(capsys.readouterr().out) == expected_text(X)


def test_interrupted_write_leaves_the_old_file(features, tmp_path, monkeypatch):
    _, path = features
    out = tmp_path / "picks.csv"
    out.write_text("previous\n")

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    assert select_to(path, out) == 130
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["emb.npy", "picks.csv"]


def test_symlink_loops_and_dangling_folders_fail_before_any_work(
    features, tmp_path, capsys, no_fit
):
    _, path = features
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    assert select_to(path, tmp_path / "a") == 1
    assert "a: a loop of symbolic links" in capsys.readouterr().err
    (tmp_path / "c.csv").symlink_to(tmp_path / "gone" / "c.csv")
    assert select_to(path, tmp_path / "c.csv") == 1
    err = capsys.readouterr().err
    assert f"c.csv: folder {tmp_path / 'gone'} does not exist" in err
    assert (tmp_path / "a").is_symlink() and (tmp_path / "c.csv").is_symlink()


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anything"
)
def test_read_only_file_is_not_replaced(features, tmp_path, capsys, no_fit):
    _, path = features
    out = tmp_path / "picks.csv"
    out.write_text("keep\n")
    out.chmod(0o444)
    assert select_to(path, out) == 1
    assert f"-o {out}: permission denied" in capsys.readouterr().err
    assert out.read_text() == "keep\n"


def test_empty_output_name_is_refused(features, capsys, no_fit):
    _, path = features
    assert select_to(path, "") == 1
    err = capsys.readouterr().err
    assert err == (
        "skactive select: error: -o '': an empty file name; use -o - for standard "
        "output\n"
    )


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_link_to_standard_output_writes_to_the_pipe(features, tmp_path):
    import subprocess
    import sys

    X, path = features
    link = tmp_path / "out.csv"
    link.symlink_to("/proc/self/fd/1")
    command = [sys.executable, "-m", "skactive", "select", str(path), "--budget"]
    done = subprocess.run(
        [*command, "3", "-q", "-o", str(link)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert out_rows(done.stdout) == expected_text(X)
    assert link.is_symlink()
    # A link to a descriptor that is not open fails before any work.
    (tmp_path / "closed.csv").symlink_to("/proc/self/fd/250")
    done = subprocess.run(
        [*command, "3", "-q", "-o", str(tmp_path / "closed.csv")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "closed.csv: names file descriptor 250, which is not open" in done.stderr


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_standard_output_appended_to_a_file_keeps_the_file(features, tmp_path, name):
    # skactive select ... -o /dev/stdout >> log.txt: the shell's file is appended
    # to through the descriptor, never opened again (which would truncate it).
    import subprocess
    import sys

    X, path = features
    log = tmp_path / "log.txt"
    log.write_text("earlier lines\n")
    command = [sys.executable, "-m", "skactive", "select", str(path), "--budget"]
    with open(log, "a") as out:
        done = subprocess.run([*command, "3", "-q", "-o", name], stdout=out)
    assert done.returncode == 0
    text = log.read_text()
    assert text.startswith("earlier lines\nrank,row,")
    assert out_rows(text.split("\n", 1)[1]) == expected_text(X)
