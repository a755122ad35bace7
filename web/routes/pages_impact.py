"""The GCU head's page for a rule-pack roll-out: what a pack of the configured pack folder would
change on the latest version of every stored product (`gcu-review rules impact`, in the browser)."""

from fastapi import APIRouter, HTTPException, Request

from web.deps import DbRoute, DbSession, PagePrincipal, require
from web.templating import render

router = APIRouter(include_in_schema=False, route_class=DbRoute)


@router.get("/rules/impact")
def rule_impact(request: Request, db: DbSession, me: PagePrincipal, pack: str | None = None):
    require(me.may_see_rule_impact(), "The impact of a rule pack is for the GCU head.")
    from rules.library import library
    from rules.pack import PackError
    from service.impact import run_impact

    settings = request.app.state.settings
    lib = library(settings.rules_pack_dir, settings.rules_pack_version)
    report = None
    if pack is not None:
        # Only packs of the configured folder: a page never loads rules from a path it is given.
        try:
            version = lib.resolve(pack)
        except PackError:
            raise HTTPException(404, f"No rule pack {pack} in the pack folder.") from None
        db.close()  # the report reads in a session of its own
        report = run_impact(
            db_engine=request.app.state.db_engine, candidate=lib.engine(version), active=lib.engine(None)
        )
    return render(
        request,
        "rule_impact.html",
        {
            "title": "Rule pack impact",
            "versions": lib.versions,
            "active": lib.active_version,
            "report": report,
        },
    )
