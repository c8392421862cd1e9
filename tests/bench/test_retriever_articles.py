from bench.retriever_articles import per_article


def row(kb_id, variant, top, decision="answer"):
    return {"kb_id": kb_id, "variant": variant, "top": top, "decision": decision}


def test_per_article_counts_hits_answers_and_the_article_that_took_the_misses():
    rows = [
        row("fees.deposit", "en", "fees.deposit"),
        row("fees.deposit", "en", "fees.refund", "suggest"),
        row("fees.deposit", "en", "fees.refund", "handoff"),
        row("fees.deposit", "vi", "fees.deposit"),
        row("rights.wages", "en", "rights.wages", "suggest"),
    ]
    groups = per_article(rows)
    assert [(g["kb_id"], g["variant"], g["n"], g["taken_by"]) for g in groups] == [
        ("fees.deposit", "en", 3, "fees.refund"),
        ("fees.deposit", "vi", 1, None),
        ("rights.wages", "en", 1, None),
    ]
    assert [round(g["hit_at_1"], 3) for g in groups] == [0.333, 1.0, 1.0]
    assert [round(g["answered"], 3) for g in groups] == [0.333, 1.0, 0.0]
