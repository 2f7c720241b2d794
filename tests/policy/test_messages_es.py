"""Errors of the store and the policy keep English for `str()` and render in Spanish."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ironriver.errors import AccessDenied, ConfigError, NotFound
from ironriver.policy import Principal, View, authorize_ingest, get_principal, parse_principals
from ironriver.store import Store
from ironriver.store.audit_verify import VerifyResult

ANALYST = Principal("mx-analista", "FGR", "MX", frozenset({"analyst"}))


def test_access_denied_renders_in_spanish() -> None:
    with pytest.raises(AccessDenied) as info:
        authorize_ingest(ANALYST, "atf_traces", "ATF", "US")
    err = info.value
    assert str(err) == (
        "mx-analista may not ingest.\n  What to do: Ask an administrator for the 'ingest' role."
    )
    assert err.render("es") == (
        "mx-analista no puede cargar datos.\n"
        "  Qué hacer: Solicite a un administrador el rol 'ingest'."
    )


def test_not_found_renders_in_spanish(sqlite_store: Store) -> None:
    with pytest.raises(NotFound) as info:
        View(sqlite_store, ANALYST, reason="r").require("nope")
    err = info.value
    assert err.message == "No entity 'nope' is visible to you."
    assert err.render("es").startswith("No hay ninguna entidad 'nope' que usted pueda ver.\n")
    with pytest.raises(NotFound) as info:
        View(sqlite_store, ANALYST, reason="r").ledger("traces")
    assert info.value.render("es").startswith(
        "No existe ningún libro de registro llamado 'traces'."
    )


def test_config_error_renders_in_spanish() -> None:
    principals = parse_principals({"principals": [{"name": "a", "agency": "ATF", "country": "US"}]})
    with pytest.raises(ConfigError) as info:
        get_principal(principals, "b")
    err = info.value
    assert err.message == "Unknown principal 'b'." and err.hint == "Known principals: a."
    assert err.render("es") == "Usuario desconocido: 'b'.\n  Qué hacer: Usuarios conocidos: a."
    with pytest.raises(ConfigError) as info:  # a file that declares nobody says so
        get_principal(parse_principals({"principals": []}), "b")
    assert "declares none" in str(info.value.hint) and "declara ninguno" in info.value.render("es")
    with pytest.raises(ConfigError) as info:
        parse_principals({"principals": ["x"]})
    assert str(info.value) == "principals file: principal #1 is not a mapping."
    assert info.value.render("es") == (
        "archivo de usuarios: el usuario #1 no es un diccionario YAML (clave: valor)."
    )


def test_audit_problems_are_messages(sqlite_store: Store) -> None:
    sqlite_store.audit.append("a", "ingest", "ds", "why")
    with sqlite_store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_no_update"))
        conn.execute(text("UPDATE audit_events SET reason = 'other' WHERE seq = 2"))
    result: VerifyResult = sqlite_store.audit.verify()
    assert [str(p) for p in result.problems] == [
        "writes chain: event 2 was edited (its hash does not match)"
    ]
    assert result.problems[0].render("es") == (
        "cadena de escrituras: el evento 2 fue editado (su hash no coincide)"
    )
