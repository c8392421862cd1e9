import tarfile

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
