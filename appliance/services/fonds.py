"""Fonds, categories and departments: the frame every item is filed in."""

from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.actors import Actor
from appliance.domain.catalogue import (
    Fonds,
    Scheme,
    check_category_code,
    check_department_code,
    check_fonds_code,
    check_name,
    parse_scheme,
)
from appliance.domain.errors import ConflictError, NotFoundError
from appliance.services.audit import record


def add_fonds(uow_factory, actor: Actor, code: str, name: str, scheme: str | Scheme) -> Fonds:
    """Register a fonds (全宗); raises InvalidInputError or ConflictError if the number is taken."""
    fonds = Fonds(check_fonds_code(code.strip().upper()), check_name(name, "fonds"), _scheme(scheme))
    with uow_factory() as uow:
        if uow.catalogue.get_fonds(fonds.code) is not None:
            raise ConflictError(f"fonds {fonds.code} already exists")
        uow.catalogue.add_fonds(fonds)
        record(uow, actor, "fonds.create", "fonds", fonds.code, {"name": fonds.name, "scheme": fonds.scheme.value})
        uow.commit()
    return fonds


def list_fonds(uow_factory) -> list[Fonds]:
    with uow_factory(read_only=True) as uow:
        return uow.catalogue.list_fonds()


def change_scheme(uow_factory, actor: Actor, code: str, scheme: str | Scheme) -> Fonds:
    """Change the classification scheme; refused with ConflictError once the fonds holds items."""
    new_scheme = _scheme(scheme)
    with uow_factory() as uow:
        fonds = require_fonds(uow, code)
        if uow.catalogue.count_items(fonds.code):
            raise ConflictError(f"fonds {fonds.code} already holds items: its scheme {fonds.scheme.value} is fixed")
        uow.catalogue.set_scheme(fonds.code, new_scheme)
        record(uow, actor, "fonds.scheme", "fonds", fonds.code, {"from": fonds.scheme.value, "to": new_scheme.value})
        uow.commit()
    return Fonds(fonds.code, fonds.name, new_scheme)


def add_department(uow_factory, actor: Actor, fonds_code: str, code: str, name: str) -> None:
    """Register a department (机构/问题) of a fonds; raises ConflictError if the code is taken."""
    code = check_department_code(code.strip().upper())
    name = check_name(name, "department")
    with uow_factory() as uow:
        fonds = require_fonds(uow, fonds_code)
        if code in uow.catalogue.departments(fonds.code):
            raise ConflictError(f"department {code} already exists in fonds {fonds.code}")
        uow.catalogue.add_department(fonds.code, code, name)
        record(uow, actor, "department.create", "department", f"{fonds.code}/{code}", {"name": name})
        uow.commit()


def list_departments(uow_factory, fonds_code: str) -> dict[str, str]:
    with uow_factory(read_only=True) as uow:
        return uow.catalogue.departments(require_fonds(uow, fonds_code).code)


def add_category(uow_factory, actor: Actor, code: str, name: str) -> None:
    """Register a category (门类) such as WS 文书; raises ConflictError if the code is taken."""
    code = check_category_code(code.strip().upper())
    name = check_name(name, "category")
    with uow_factory() as uow:
        if code in uow.catalogue.categories():
            raise ConflictError(f"category {code} already exists")
        uow.catalogue.add_category(code, name)
        record(uow, actor, "category.create", "category", code, {"name": name})
        uow.commit()


def list_categories(uow_factory) -> dict[str, str]:
    with uow_factory(read_only=True) as uow:
        return uow.catalogue.categories()


def require_fonds(uow, code: str) -> Fonds:
    fonds = uow.catalogue.get_fonds(code.strip().upper())
    if fonds is None:
        raise NotFoundError(f"no fonds {code!r}; register it first with `dangan fonds add`")
    return fonds


def _scheme(scheme: str | Scheme) -> Scheme:
    return scheme if isinstance(scheme, Scheme) else parse_scheme(scheme)


def fonds_overview(uow_factory, scope: AccessScope = EVERYTHING) -> list[tuple[Fonds, int]]:
    """Every fonds with the number of items it holds that `scope` may see."""
    with uow_factory(read_only=True) as uow:
        return [(fonds, uow.catalogue.count_items(fonds.code, scope)) for fonds in uow.catalogue.list_fonds()]
