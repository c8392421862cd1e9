import tarfile

import pytest
import typer

from cli import train


def test_model_validity_check(tmp_path):
    good = tmp_path / "good.tar.gz"
    member = tmp_path / "x.txt"
    member.write_text("x")
    with tarfile.open(good, "w:gz") as archive:
        archive.add(member, arcname="x.txt")
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(good.read_bytes()[:20])
    assert train.model_is_valid(good)
    assert not train.model_is_valid(bad)
    assert not train.model_is_valid(tmp_path / "missing.tar.gz")


def test_inputs_hash_changes_with_content(tmp_path, monkeypatch):
    monkeypatch.setattr(train, "ROOT", tmp_path)
    (tmp_path / "nlu").mkdir()
    f = tmp_path / "nlu" / "a.yml"
    f.write_text("one")
    first = train.inputs_hash(["nlu"])
    assert train.inputs_hash(["nlu"]) == first
    f.write_text("two")
    assert train.inputs_hash(["nlu"]) != first


def fake_rasa(tmp_path, monkeypatch, exit_code: int = 0):
    """A stand-in `rasa` executable: writes a valid model archive into --out and exits."""
    script = tmp_path / "rasa"
    script.write_text(
        "#!/bin/sh\n"
        "while [ \"$1\" != \"--out\" ]; do shift; done\n"
        "mkdir -p \"$2\" && echo model > \"$2/m.txt\"\n"
        "tar -czf \"$2/hanhtrang.tar.gz\" -C \"$2\" m.txt\n"
        f"exit {exit_code}\n"
    )
    script.chmod(0o755)
    monkeypatch.setattr(train, "RASA_BIN", script)
    monkeypatch.setenv("HANHTRANG_MODELS", str(tmp_path / "models"))


def test_rasa_training_runs_in_the_background_and_installs_the_model(tmp_path, monkeypatch):
    fake_rasa(tmp_path, monkeypatch)
    training = train.RasaTraining()
    assert training.needed
    training.start()
    assert training.finish() is True
    assert train.model_is_valid(train.rasa_model_path())
    # same inputs: nothing to do the next time
    again = train.RasaTraining()
    assert not again.needed
    again.start()
    assert again.finish() is False


def test_a_failed_rasa_training_installs_nothing(tmp_path, monkeypatch):
    fake_rasa(tmp_path, monkeypatch, exit_code=1)
    training = train.RasaTraining()
    training.start()
    with pytest.raises(typer.Exit):
        training.finish()
    assert not train.rasa_model_path().exists()


def test_stop_ends_a_training_still_running(tmp_path, monkeypatch):
    script = tmp_path / "rasa"
    script.write_text("#!/bin/sh\nsleep 30\n")
    script.chmod(0o755)
    monkeypatch.setattr(train, "RASA_BIN", script)
    monkeypatch.setenv("HANHTRANG_MODELS", str(tmp_path / "models"))
    training = train.RasaTraining()
    training.start()
    training.stop()
    assert training.process is not None and training.process.returncode is not None
    assert not train.rasa_model_path().exists()


def test_finish_without_start_is_a_programming_error(tmp_path, monkeypatch):
    fake_rasa(tmp_path, monkeypatch)
    with pytest.raises(RuntimeError):
        train.RasaTraining().finish()
