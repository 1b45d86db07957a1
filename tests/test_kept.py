"""workflow.kept: one value built per distinct key, the store bounded (emptied when full)."""
from workflow.kept import Kept


def test_a_value_is_built_once_per_key_and_the_store_stays_bounded():
    built = []
    store = Kept(limit=2)

    def build(value):
        return lambda: built.append(value) or value

    assert store.get("a", build("A")) == "A" and store.get("a", build("other")) == "A"
    assert store.get("b", build("B")) == "B" and len(store) == 2
    assert store.get("c", build("C")) == "C" and len(store) == 1  # full: emptied, then kept
    assert store.get("a", build("A2")) == "A2"  # built again after the store was emptied
    assert built == ["A", "B", "C", "A2"]
