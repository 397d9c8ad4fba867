from tousu.risk.similar import CaseIndex, precision_at_k, random_precision_at_k

LIBRARY = [
    (1, "信用卡被盗刷了三笔，银行不给处理"),
    (2, "快递送到了别人家，一直没有找回"),
    (3, "贷款利息太高，暴力催收打电话给家人"),
    (4, "信用卡年费没有告知就扣了"),
]


def test_the_nearest_case_shares_the_most_characters_with_the_text():
    index = CaseIndex(LIBRARY)
    matches = index.nearest("我的信用卡被人盗刷，银行不处理", k=2)
    assert [m.id for m in matches] == [1, 4]
    assert 0 < matches[1].score < matches[0].score <= 1


def test_a_complaint_is_never_its_own_similar_case_and_an_empty_library_finds_nothing():
    assert 1 not in [m.id for m in CaseIndex(LIBRARY).nearest("信用卡被盗刷了三笔", exclude=frozenset({1}))]
    assert CaseIndex([]).nearest("信用卡") == []


def test_precision_counts_neighbours_of_the_same_type_against_a_random_draw():
    library = [(t, "card" if "卡" in t else "other") for _pk, t in LIBRARY]
    queries = [("信用卡盗刷", "card"), ("催收电话骚扰家人", "other")]
    assert precision_at_k(library, queries, k=1) == 1.0
    assert 0 <= random_precision_at_k(library, queries, k=1) <= 1
