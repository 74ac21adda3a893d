"""The statute parser and charge classes, on the citation forms seen on dockets."""
import pytest
from hypothesis import given, settings, strategies as st

from compliance.rules.charges import classify_charges
from compliance.policy.pack import PolicyPack, load_pack


@pytest.fixture(scope="module")
def pack():
    return load_pack()


def classify(pack, **charge):
    return classify_charges([{"disposition": "convicted", "disposition_date": "2016-01-01", **charge}], pack)[0]


@pytest.mark.parametrize("statute", [
    "18 § 2702 §§ A1", "18 Pa.C.S. § 2702(a)(1)", "18 2702 A1", "18 § 2702 §§ A1 F1 Aggravated Assault",
    "18 PA.C.S.A. § 2702(A)(1)", "18 Pa. C.S. 2702(a)(1)", " 18 §2702 §§A1 "])
def test_citation_forms_read_alike(pack, statute):
    result = classify(pack, statute=statute, grade="F1", description="Aggravated Assault")
    assert (result["title"], result["section"], result["subsection"]) == ("18", "2702", "A1")
    assert result["matched_by"] == "citation"
    assert result["conviction_class"] == "qualifying"


def test_subsection_i_is_not_a_prefix_of_iv(pack):
    assert classify(pack, statute="18 § 3701 §§ A1I", grade="F1")["conviction_class"] == "qualifying"
    assert classify(pack, statute="18 § 3701 §§ A1IV", grade="F2")["conviction_class"] == "undecidable"
    assert classify(pack, statute="18 § 3701(a)(1)(iv)", grade="F2")["conviction_class"] == "undecidable"


def test_grade_can_come_from_the_citation_text(pack):
    result = classify(pack, statute="18 § 3502 §§ A1II F1 Burglary", grade="")
    assert (result["grade_effective"], result["conviction_class"]) == ("F1", "qualifying")
    assert classify(pack, statute="18 § 5505 S Public Drunkenness", grade="")["grade_effective"] == "S"


def test_summary_grade_after_section_is_no_subsection(pack):
    result = classify(pack, statute="18 § 5505 S Public Drunkenness And Similar Misconduct", grade="")
    assert (result["section"], result["subsection"]) == ("5505", "")


def test_inchoate_takes_the_object_offense_named_in_the_description(pack):
    result = classify(pack, statute="18 § 903", grade="F1",
                      description="Conspiracy - Robbery-Threat Immed Ser Injury")
    assert (result["matched_by"], result["conviction_class"]) == ("description", "qualifying")
    grey = classify(pack, statute="18 § 903", grade="F2", description="Conspiracy - Robbery-Inflict Threat Imm Bod Inj")
    assert grey["conviction_class"] == "undecidable" and grey["class_reason"].startswith("grey list")
    unnamed = classify(pack, statute="18 § 901 §§ A", grade="F1", description="Criminal Attempt")
    assert unnamed["conviction_class"] == "undecidable"
    assert unnamed["class_reason"] == "inchoate offense whose object offense the docket does not name"


def test_description_only_charge_is_classified_by_its_description(pack):
    result = classify(pack, statute="", grade="F1",
                      description="Burglary - Overnight Accommodations; Person Present, Bodily Injury Crime")
    assert (result["matched_by"], result["conviction_class"]) == ("description", "qualifying")


@pytest.mark.parametrize(("grade", "expected"), [("F3", "not_qualifying"), ("F", "not_qualifying"),
                                                 ("M1", "not_qualifying"), ("X9", "undecidable"),
                                                 ("", "qualifying")])
def test_grade_decides_before_the_statute(pack, grade, expected):
    assert classify(pack, statute="18 § 3121", grade=grade)["conviction_class"] == expected


def test_unreadable_citation_with_a_felony_grade_goes_to_review_but_a_misdemeanor_does_not(pack):
    assert classify(pack, statute="see docket", grade="F1")["conviction_class"] == "undecidable"
    assert classify(pack, statute="see docket", grade="M2")["conviction_class"] == "not_qualifying"


def test_unlisted_offense_is_not_violent_unless_the_pack_sends_it_to_review(pack):
    unlisted = classify(pack, statute="18 § 3304 §§ A5", grade="F2", description="Criminal Mischief")
    assert unlisted["conviction_class"] == "not_qualifying"
    assert unlisted["class_reason"].startswith("not on the pack's list of offenses involving violence")
    strict = PolicyPack(pack.path, {**pack.data, "conviction": {**pack.data["conviction"],
                                                                 "unlisted_offenses": "needs_review"}}, pack.sha256)
    assert classify(strict, statute="18 § 3304 §§ A5", grade="F2")["conviction_class"] == "undecidable"


SUBSECTION = st.builds(lambda letter, number, roman: letter + number + roman,
                       st.sampled_from("ABCDEFGH"), st.sampled_from(["", "1", "2", "10", "30"]),
                       st.sampled_from(["", "I", "II", "III", "IV", "V"]))


@settings(max_examples=25, deadline=None)
@given(title=st.sampled_from(["18", "35", "75"]), section=st.sampled_from(["2702", "3701", "780-113", "3124.1"]),
       subsection=SUBSECTION)
def test_docket_and_parenthesised_forms_parse_to_the_same_parts(title, section, subsection):
    pack = load_pack()
    docket = f"{title} § {section} §§ {subsection}" if subsection else f"{title} § {section}"
    tokens_text = "".join(f"({t.lower()})" for t in _tokens(subsection))
    formal = f"{title} Pa.C.S. § {section}{tokens_text}"
    first, second = classify_charges([{"statute": docket, "grade": "F2"}, {"statute": formal, "grade": "F2"}], pack)
    assert (first["title"], first["section"], first["subsection"]) == (title, section, subsection)
    assert (second["title"], second["section"], second["subsection"]) == (title, section, subsection)
    assert first["conviction_class"] == second["conviction_class"]


def _tokens(subsection: str) -> list[str]:
    import re
    return re.findall(r"[A-Z]\.[0-9]+|[0-9]+|[IVXL]+|[A-Z]", subsection)


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=60))
def test_any_text_classifies_without_error(text):
    [result] = classify_charges([{"statute": text, "grade": "F1", "description": text,
                                  "disposition": "convicted", "disposition_date": "2016-01-01"}], load_pack())
    assert result["conviction_class"] in ("qualifying", "not_qualifying", "undecidable")
