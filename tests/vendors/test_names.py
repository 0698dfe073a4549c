import pytest

from vendors.names import normalize_name


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Acme Pharma, Inc.", "acme pharma"),
        ("ACME PHARMA INC", "acme pharma"),
        ("Acme Pharma LLC", "acme pharma"),
        ("Acme Pharma Ltd.", "acme pharma"),
        ("Acme Pharma Limited", "acme pharma"),
        ("Acme-Pharma Corporation", "acme pharma"),
        ("Müller Pharma GmbH & Co. KG", "muller pharma"),
        ("Laboratorios Ejemplo, S.A.", "laboratorios ejemplo"),
        ("Laboratorios Ejemplo S.L.", "laboratorios ejemplo"),
        ("Nordic Fill Co.", "nordic fill"),
        ("  4M Feeders,  Inc. ", "4m feeders"),
    ],
)
def test_it_sets_aside_case_punctuation_accents_and_legal_forms(raw, normalised):
    assert normalize_name(raw) == normalised


def test_a_legal_form_inside_the_name_stays():
    assert normalize_name("Co Pack Solutions Inc") == "co pack solutions"


def test_a_name_that_is_only_a_legal_form_keeps_it():
    assert normalize_name("Inc.") == "inc"


def test_no_name_normalises_to_nothing():
    assert normalize_name("") == ""
    assert normalize_name("  ,. ") == ""


def test_different_firms_stay_apart():
    assert normalize_name("Acme Pharma Inc") != normalize_name("Acme Pharmaceuticals Inc")
