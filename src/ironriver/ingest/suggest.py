"""FtM entities suggested from a file's column names, for `mapping draft`.

The things agencies' records name again and again have the same few column names in English
and Spanish: a person's names (with the paternal and maternal surnames apart), birth date
and alias; a firearm's serial, make, model, calibre and type; a vehicle's plate; a phone
number; an organization's name. A header is read as words (`DRIVER_LAST` -> driver, last);
its last words name the property, the words before them whose thing it is: `PORTADOR_PATERNO`
is the paternal surname of the "portador", `FIREARM_MAKE` the make of the firearm, `MARCA`
alone the make of the file's one firearm (a file names at most one firearm and one vehicle;
people are told apart by their prefixes). Columns of one thing make one entity, keyed by its
identifying columns; a person by the record's id (FOLIO...) or their CURP/RFC when the file
has one, by their names only when it has neither (`suggest`); a phone by its number alone,
hashed as stored (`key_clean`: one phone however the files write the number). Events (a sale, a seizure, a crossing) are left to the analyst: which
record is which event is not in the column names.

Only the words below are read, so a column named otherwise gets no suggestion rather than a
wrong one; `ironriver eval drafts` scores the suggestions against the world's own mappings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

# role words (the header's last words) -> (schema, property); the schema None takes it from
# the header's prefix or the file (make, model, type: a firearm's or a vehicle's)
_ROLES: dict[tuple[str, ...], tuple[str | None, str]] = {
    ("apellido", "paterno"): ("Individual", "paternalSurname"),
    ("primer", "apellido"): ("Individual", "paternalSurname"),
    ("paterno",): ("Individual", "paternalSurname"),
    ("apellido", "materno"): ("Individual", "maternalSurname"),
    ("segundo", "apellido"): ("Individual", "maternalSurname"),
    ("materno",): ("Individual", "maternalSurname"),
    ("nombre", "completo"): ("Individual", "name"),
    ("full", "name"): ("Individual", "name"),
    ("first", "name"): ("Individual", "firstName"),
    ("given", "name"): ("Individual", "firstName"),
    ("given", "names"): ("Individual", "firstName"),
    ("first",): ("Individual", "firstName"),
    ("nombres",): ("Individual", "firstName"),
    ("nombre", "s"): ("Individual", "firstName"),  # NOMBRE(S), as Mexican forms write it
    ("nombre",): ("Individual", "firstName"),
    ("last", "name"): ("Individual", "lastName"),
    ("last",): ("Individual", "lastName"),
    ("surname",): ("Individual", "lastName"),
    ("apellidos",): ("Individual", "lastName"),
    ("fecha", "de", "nacimiento"): ("Individual", "birthDate"),
    ("fecha", "nacimiento"): ("Individual", "birthDate"),
    ("fecha", "nac"): ("Individual", "birthDate"),
    ("fec", "nac"): ("Individual", "birthDate"),
    ("f", "nac"): ("Individual", "birthDate"),
    ("curp",): ("Individual", "idNumber"),
    ("rfc",): ("Individual", "taxNumber"),
    ("date", "of", "birth"): ("Individual", "birthDate"),
    ("birth", "date"): ("Individual", "birthDate"),
    ("dob",): ("Individual", "birthDate"),
    ("alias",): ("Individual", "alias"),
    ("alias", "o", "apodo"): ("Individual", "alias"),
    ("apodo", "o", "alias"): ("Individual", "alias"),
    ("alias", "apodo"): ("Individual", "alias"),
    ("apodo",): ("Individual", "alias"),
    ("apodos",): ("Individual", "alias"),
    ("sobrenombre",): ("Individual", "alias"),
    ("aliases",): ("Individual", "alias"),
    ("aka",): ("Individual", "alias"),
    ("nickname",): ("Individual", "alias"),
    ("name",): ("Individual", "name"),
    ("estado", "matricula"): ("Firearm", "serialStatus"),
    ("serial", "status"): ("Firearm", "serialStatus"),
    ("numero", "de", "serie"): ("Firearm", "serialNumber"),
    ("numero", "serie"): ("Firearm", "serialNumber"),
    ("serial", "number"): ("Firearm", "serialNumber"),
    ("serial",): ("Firearm", "serialNumber"),
    ("serie",): ("Firearm", "serialNumber"),
    ("matricula",): ("Firearm", "serialNumber"),
    ("calibre",): ("Firearm", "caliber"),
    ("caliber",): ("Firearm", "caliber"),
    ("tipo", "arma"): ("Firearm", "weaponType"),
    ("tipo", "de", "arma"): ("Firearm", "weaponType"),
    ("weapon", "type"): ("Firearm", "weaponType"),
    ("pais", "fabricacion"): ("Firearm", "countryOfManufacture"),
    ("pais", "de", "fabricacion"): ("Firearm", "countryOfManufacture"),
    ("country", "of", "manufacture"): ("Firearm", "countryOfManufacture"),
    ("marca",): (None, "make"),
    ("make",): (None, "make"),
    ("modelo",): (None, "model"),
    ("model",): (None, "model"),
    ("tipo",): (None, "type"),
    ("type",): (None, "type"),
    ("placa",): ("Vehicle", "registrationNumber"),
    ("placas",): ("Vehicle", "registrationNumber"),
    ("plate",): ("Vehicle", "registrationNumber"),
    ("plate", "number"): ("Vehicle", "registrationNumber"),
    ("telefono",): ("Phone", "number"),
    ("phone",): ("Phone", "number"),
    ("celular",): ("Phone", "number"),
    ("telefono", "celular"): ("Phone", "number"),
    ("tel", "celular"): ("Phone", "number"),
    ("tel", "cel"): ("Phone", "number"),
    ("tel",): ("Phone", "number"),
    ("cel",): ("Phone", "number"),
    ("telefono", "movil"): ("Phone", "number"),
    ("movil",): ("Phone", "number"),
    ("numero", "celular"): ("Phone", "number"),
    ("numero", "de", "celular"): ("Phone", "number"),
    ("numero", "telefono"): ("Phone", "number"),
    ("numero", "de", "telefono"): ("Phone", "number"),
    ("telephone",): ("Phone", "number"),
    ("phone", "number"): ("Phone", "number"),
    ("cell",): ("Phone", "number"),
    ("cell", "phone"): ("Phone", "number"),
    ("cellphone",): ("Phone", "number"),
    ("mobile",): ("Phone", "number"),
    ("mobile", "phone"): ("Phone", "number"),
    ("imei",): ("Phone", "imei"),
    ("organizacion",): ("Organization", "name"),
    ("organization",): ("Organization", "name"),
    ("cartel",): ("Organization", "name"),
}
_BY_LENGTH = sorted(_ROLES, key=len, reverse=True)
# whose thing it is: words before the role that name a person, a firearm or a vehicle
_PEOPLE = {
    "driver", "conductor", "portador", "detenido", "buyer", "purchaser", "comprador",
    "subject", "sujeto", "owner", "propietario", "victim", "victima", "passenger",
    "pasajero", "person", "persona", "suspect", "sospechoso", "imputado", "holder",
}  # fmt: skip
_THINGS = {
    "firearm": "Firearm", "arma": "Firearm", "weapon": "Firearm", "gun": "Firearm",
    "vehicle": "Vehicle", "vehiculo": "Vehicle", "auto": "Vehicle", "car": "Vehicle",
}  # fmt: skip
# which properties a thing's entity is keyed by (its identifying columns)
_KEYS = {
    "Individual": ("firstName", "paternalSurname", "maternalSurname", "lastName", "name",
                   "birthDate", "alias"),
    "Firearm": ("serialNumber", "make", "model"),
    "Vehicle": ("registrationNumber",),
    "Phone": ("number", "imei"),
    "Organization": ("name",),
}  # fmt: skip
_NAME_PARTS = ("firstName", "paternalSurname", "maternalSurname", "lastName")
# a person keyed by the record's id, else by an identifier of theirs (CURP, RFC), else names
_PERSON_IDS = ("idNumber", "taxNumber")
# a record's id: a header of these words only, one of the first set among them (FOLIO,
# NUM_REGISTRO, NUMERO_DE_EXPEDIENTE, CARPETA_INVESTIGACION, CASE_NUMBER)
_RECORD_WORDS = {"folio", "id", "num", "numero", "no", "nro", "expediente", "registro",
                 "carpeta", "nuc", "record", "case", "averiguacion"}  # fmt: skip
_RECORD_FILLERS = {"de", "of", "del", "investigacion", "number", "previa"}


@dataclass
class Suggestion:
    """One suggested entity: its name in the mapping, schema, keys and properties."""

    name: str
    schema: str
    properties: dict[str, str] = field(default_factory=dict)  # property -> column
    keys: list[str] = field(default_factory=list)
    name_from: list[str] = field(default_factory=list)  # columns joined into `name`
    key_literal: str | None = None  # when keyed by the record's id (one per entity mapping)
    # key column -> the property whose cleaning it takes before it is hashed (`key_clean`):
    # a phone's number, so every spelling of a number is one phone, in every dataset
    key_clean: dict[str, str] = field(default_factory=dict)
    keyed_by: str = ""  # a person's: "identifier", "record" or "names" (see `suggest`)


def words(header: str) -> tuple[str, ...]:
    """A header as lower-case ASCII words: "FECHA DE NACIMIENTO" -> (fecha, de, nacimiento)."""
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return tuple(w for w in re.split(r"[^a-z0-9]+", plain) if w)


def _role(header: str) -> tuple[str, str | None, str] | None:
    """(owner, schema, property) of a header, or None: owner is the prefix ("" for none)."""
    found = words(header)
    if len(found) == 1 and found[0] in _PEOPLE:  # "PORTADOR": the holder's full name
        return found[0], "Individual", "name"
    for role in _BY_LENGTH:
        if found[-len(role) :] == role:
            prefix = found[: -len(role)]
            schema, prop = _ROLES[role]
            if not prefix:
                return "", schema, prop
            owner = prefix[0] if len(prefix) == 1 else ""
            thing = _THINGS.get(owner)
            if thing is not None and schema in (None, thing):
                return owner, thing, prop
            if owner in _PEOPLE and schema in ("Individual", "Phone"):
                return owner, schema, prop
            return None  # PORT_NAME, ESTADO_X, ARMA_PLACA: not a thing of ours
    return None


def record_id(headers: list[str]) -> str | None:
    """The first header naming the record's id (`_RECORD_WORDS`), if any."""
    for header in headers:
        found = words(header)
        if (
            found
            and set(found) <= _RECORD_WORDS | _RECORD_FILLERS
            and set(found) & _RECORD_WORDS
            and headers.count(header) == 1
        ):
            return header
    return None


def suggest(headers: list[str], lists: Collection[str] = ()) -> list[Suggestion]:
    """The entities the column names suggest (module doc), in the file's column order. A
    person is keyed by the record's id (`record_id`, with the entity's name as its
    `key_literal`, so two people of one record are two entities) when the file has one, else
    by an identifier of theirs (CURP: `idNumber`, RFC: `taxNumber`), else by their name
    columns: then people of the same name become one entity, which the draft says.

    `lists`: the columns holding lists (a JSON Lines key): a property reads each element,
    but a key or a joined name refuses a list, so they are neither (an entity left without
    keys is not suggested)."""
    # (the record's id before the person's own: a record without a CURP would make no
    # person, and the CURP is a property all the same, for resolution to match on)
    roles = [(h, _role(h)) for h in headers if h and headers.count(h) == 1]
    # make/model/type alone: the file's firearm if it names one, else its vehicle
    plain_things = {r[1] for _, r in roles if r and not r[0] and r[1] in ("Firearm", "Vehicle")}
    default_thing = "Firearm" if "Firearm" in plain_things or not plain_things else "Vehicle"
    entities: dict[tuple[str, str], Suggestion] = {}
    for header, role in roles:
        if role is None:
            continue
        owner, schema, prop = role
        schema = schema or default_thing
        if prop == "type" and schema == "Firearm":
            prop = "weaponType"
        if schema == "Vehicle" and prop not in ("registrationNumber", "model", "type"):
            continue  # FtM's Vehicle has no make
        if schema in ("Firearm", "Vehicle"):  # ARMA_MARCA and SERIE: one firearm
            name = schema.lower()
        elif schema == "Phone" and owner:
            name = f"{owner}_phone"
        else:
            name = owner or {"Individual": "person"}.get(schema, schema.lower())
        entity = entities.setdefault((name, schema), Suggestion(name, schema))
        entity.properties.setdefault(prop, header)
    out = []
    for entity in entities.values():
        props = entity.properties
        if entity.schema == "Individual":
            parts = [p for p in _NAME_PARTS if p in props]
            if parts == ["firstName"] and words(props["firstName"])[-1] in ("nombre", "nombres"):
                props["name"] = props.pop("firstName")  # NOMBRE alone: the whole name
            elif "name" not in props and parts and not any(props[p] in lists for p in parts):
                entity.name_from = [props[p] for p in parts]
        entity.keys = [props[p] for p in _KEYS[entity.schema] if p in props]
        entity.keys = [key for key in entity.keys if key not in lists]
        if entity.schema == "Phone" and props.get("number") in entity.keys:
            # the number alone, cleaned (`key_clean`): an IMEI beside it would make the
            # same line two phones when one record lacks it or names another handset
            entity.keys = [props["number"]]
            entity.key_clean = {props["number"]: "number"}
        if entity.schema == "Individual" and entity.keys:
            own = [props[p] for p in _PERSON_IDS if p in props and props[p] not in lists]
            record = record_id([h for h in headers if h not in lists])
            if record is not None:
                entity.keys, entity.keyed_by = [record], "record"
                entity.key_literal = entity.name
            elif own:
                entity.keys, entity.keyed_by = own[:1], "identifier"
            else:
                entity.keyed_by = "names"
        if entity.keys:
            out.append(entity)
    return out
