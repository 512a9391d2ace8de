"""CRM pieces without a network: number normalisation, JSON paths, settings of the card."""

from __future__ import annotations

import pytest

from desktop.crm import config, forms, paths
from desktop.crm.numbers import display, to_e164
from desktop.crm.rest import RestAdapter, RestConfig


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+7 (912) 555-01-02", "+79125550102"),
        ("8 912 555 01 02", "+79125550102"),
        ("89125550102", "+79125550102"),
        ("79125550102", "+79125550102"),
        ("9125550102", "+79125550102"),
        ("84951234567", "+74951234567"),
        ("0079125550102", "+79125550102"),
        ("sip:+79125550102@pbx.example.com", "+79125550102"),
        ("<sip:89125550102@10.0.0.1;transport=udp>", "+79125550102"),
        ("tel:+1-202-555-0147", "+12025550147"),
        ("+44 20 7946 0958", "+442079460958"),
        ("1001", None),
        ("alice", None),
        ("sip:alice@pbx", None),
        ("", None),
        ("+12", None),
        ("+1234567890123456", None),
    ],
)
def test_numbers_become_e164(raw: str, e164: str | None) -> None:
    assert to_e164(raw) == e164


def test_national_forms_follow_the_configured_country() -> None:
    assert to_e164("89125550102", country_code="1") is None  # 8… is Russian only
    assert to_e164("2025550147", country_code="1") is None  # no guessing for other countries
    assert to_e164("12025550147", country_code="1") == "+12025550147"


def test_display_groups_russian_numbers() -> None:
    assert display("+79125550102") == "+7 912 555-01-02"
    assert display("+442079460958") == "+442079460958"


def test_paths_read_nested_answers_and_miss_quietly() -> None:
    data = {"data": [{"name": "Anna", "org": {"title": "Acme"}, "n": 2.0, "tags": ["a", "b"]}]}
    assert paths.get(data, "data[0].org.title") == "Acme"
    assert paths.get(data, "$.data.0.name") == "Anna"
    assert paths.get(data, "data[3].name") is None
    assert paths.get(data, "data.name") is None
    assert paths.get("text", "a.b") is None
    assert paths.text(paths.get(data, "data[0].n")) == "2"
    assert paths.text(paths.get(data, "data[0].tags")) == "a, b"
    with pytest.raises(paths.PathError, match="character"):
        paths.parse("data[x]")


def test_rest_mapping_fills_roles_labels_and_items() -> None:
    adapter = RestAdapter(
        RestConfig(
            lookup_url="http://crm.test/c?phone={number}",
            fields={
                "id": "uid", "name": "full_name", "company": "org.title",
                "balance": "account.balance", "items": "tickets", "item.title": "subject",
                "item.status": "state", "Manager": "owner.name",
            },
            open_url="http://crm.test/contacts/{id}",
        )
    )  # fmt: skip
    node = {
        "uid": 42, "full_name": "Anna Petrova", "org": {"title": "Acme"},
        "account": {"balance": -150.5}, "owner": {"name": "Ivan"},
        "tickets": [{"subject": "Router", "state": "open"}, "garbage"],
    }  # fmt: skip
    contact = adapter.contact_from(node, "+79125550102")
    assert (contact.id, contact.name, contact.company, contact.balance) == (
        "42", "Anna Petrova", "Acme", "-150.5",
    )  # fmt: skip
    assert [(i.title, i.status) for i in contact.items] == [("Router", "open")]
    assert contact.extra == (("Manager", "Ivan"),)
    assert contact.web_url == "http://crm.test/contacts/42"


def test_url_templates_cannot_be_escaped_by_a_number() -> None:
    from desktop.crm.rest import fill

    assert fill("http://crm/c?phone={number}", number="+7 1/2&x=1") == (
        "http://crm/c?phone=%2B7%201%2F2%26x%3D1"
    )


def test_dialog_card_fields_parse_with_their_flags() -> None:
    specs = config.parse_fields(
        (
            "topic: text, required, label=Topic of the call",
            "product: choice(Internet | TV|Phone), crm=status",
            "callback: checkbox",
            "callback_on: date",
            "card_no: text, sensitive",
        )
    )
    assert [s.kind for s in specs] == ["text", "choice", "checkbox", "date", "text"]
    assert specs[0].required and specs[0].label == "Topic of the call"
    assert specs[1].choices == ("Internet", "TV", "Phone") and specs[1].crm == "status"
    assert specs[4].sensitive and not specs[4].required


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("Topic: text",), "start with a key"),
        (("topic: txt",), "type 'txt' is not one of"),
        (("topic: choice",), "choice needs its options"),
        (("topic: text(a|b)",), "only choice takes options"),
        (("topic: text, mandatory",), "unknown flag 'mandatory'"),
        (("topic: text", "topic: date"), "keys used twice: topic"),
        (("disposition: text",), "built in"),
    ],
)
def test_bad_dialog_card_fields_are_named(lines: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config.parse_fields(lines)


def test_crm_settings_problems_name_their_keys() -> None:
    crm = config.CrmSection(
        adapter="rest", lookup_url="ftp://crm/contacts", fields=("Balance data.x",),
        timeout_s=0,
    )  # fmt: skip
    card = config.DialogCardSection(fields=("x: nope",), dispositions=())
    found = config.problems(crm, card)
    assert any(p.startswith("crm.timeout_s: must be 0.1..30") for p in found)
    assert any(p.startswith("crm.lookup_url: 'ftp://crm/contacts' must be an http") for p in found)
    assert any(p.startswith("crm.lookup_url: must contain {number}") for p in found)
    assert any(p.startswith("crm.fields: 'Balance data.x': write it as") for p in found)
    assert any(p.startswith("dialog_card.fields: x: type 'nope'") for p in found)
    assert any(p.startswith("dialog_card.dispositions:") for p in found)
    bitrix = config.CrmSection(adapter="bitrix24", webhook_url="https://b.example/rest/1/abc/")
    assert any("secret part in the keyring" in p for p in config.problems(bitrix, card))
    assert config.problems(config.CrmSection(), config.DialogCardSection()) == []


def test_a_campaigns_card_form_reads_as_the_settings_fields_do() -> None:
    form = forms.form_of(
        [{"key": "plan", "type": "choice", "choices": ["gold", "basic"], "required": True},
         {"key": "card_no", "label": "Card", "sensitive": "hash"}, {"key": "note"}],
        ["sold", "later"], "Hello",
    )  # fmt: skip
    assert form.specs == (
        config.FieldSpec("plan", "choice", "plan", ("gold", "basic"), required=True),
        config.FieldSpec("card_no", "text", "Card", sensitive=True, protect="hash"),
        config.FieldSpec("note", "text", "note"),
    )
    assert (form.dispositions, form.script) == (("sold", "later"), "Hello")
    for fields, message in (
        ([{"label": "No key"}], "a field without a 'key'"),
        ([{"key": "x", "type": "radio"}], "x: type 'radio' is not one of"),
        ([{"key": "x", "type": "choice"}], "x: choice needs its options"),
        ([{"key": "x", "sensitive": "blur"}], "x: sensitive must be true, false or one of"),
        ([{"key": "x", "colour": "red"}], "x: unknown colour"),
        ([{"key": "x"}, {"key": "x"}], "keys used twice: x"),
        ([{"key": "disposition"}], "'disposition' is built in"),
    ):
        with pytest.raises(ValueError, match=message):
            forms.form_of(fields, ["sold"], "")
